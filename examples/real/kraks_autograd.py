# Source: https://github.com/Kraks/playground/blob/master/pytorch/basic_examples/autograd.py
# License: none stated in the repository (public GitHub); kept verbatim for testing only.
import torch
import math

dtype = torch.float
torch.set_default_device("cpu") # or mps

# By default, requires_grad=False, which indicates that we do not need to
# compute gradients with respect to these Tensors during the backward pass.
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    # forward pass
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # loss is of shape(1,)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    # autograd to compute the backward pass
    loss.backward()

    # gradient decent, but not tracking gradients here
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
