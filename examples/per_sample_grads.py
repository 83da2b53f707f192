# "Per-sample-gradients" (PyTorch tutorials, torch.func): the gradient of the loss for each sample
# of a batch, first by a loop over the samples, then in one pass with torch.func
# (functional_call, grad, vmap), and the two compared. The tutorial's model and random batch, on
# the CPU, with a batch of 16 instead of 64 and without the timing comparison.
#
#     .venv/bin/python examples/per_sample_grads.py                               # PyTorch
#     .venv/bin/python examples/with_torchless.py examples/per_sample_grads.py    # torchless
# ruff: noqa: PLR0402, UP008 - the tutorial's own idioms, kept as written
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


# Here's a simple CNN and loss function:
class SimpleCNN(nn.Module):
    def __init__(self):
        super(SimpleCNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


# a dummy batch of data: 16 examples of 28x28 images, 10 classes
device = 'cpu'  # the tutorial uses 'cuda'

num_models = 10
batch_size = 16
data = torch.randn(batch_size, 1, 28, 28, device=device)

targets = torch.randint(10, (batch_size,), device=device)

model = SimpleCNN().to(device=device)
predictions = model(data)  # move the entire mini-batch through the model

loss = loss_fn(predictions, targets)
loss.backward()  # back propagate the 'average' gradient of this mini-batch
print(loss)


# the per-sample-gradient computation done by hand
def compute_grad(sample, target):
    sample = sample.unsqueeze(0)  # prepend batch dimension for processing
    target = target.unsqueeze(0)

    prediction = model(sample)
    loss = loss_fn(prediction, target)

    return torch.autograd.grad(loss, list(model.parameters()))


def compute_sample_grads(data, targets):
    """ manually process each sample with per sample gradient """
    sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
    sample_grads = zip(*sample_grads)
    sample_grads = [torch.stack(shards) for shards in sample_grads]
    return sample_grads


per_sample_grads = compute_sample_grads(data.to(device), targets.to(device))

print(per_sample_grads[1].shape)

# the same, in one pass with function transforms
from torch.func import functional_call, grad, vmap  # where the tutorial introduces it

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)

    predictions = functional_call(model, (params, buffers), (batch,))
    loss = loss_fn(predictions, targets)
    return loss


ft_compute_grad = grad(compute_loss)

ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))

ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)

# we can double check that the results using ``grad`` and ``vmap`` match the results of hand
# processing each one individually:
for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):
    assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)

# not in the tutorial: what was compared
for (name, ft_per_sample_grad), per_sample_grad in zip(ft_per_sample_grads.items(), per_sample_grads):
    print(name, tuple(ft_per_sample_grad.shape),
          torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5))
print(ft_per_sample_grads['fc2.bias'][:3])
print(ft_per_sample_grads['fc2.bias'].sum(0) / batch_size)  # the mean gradient...
print(model.fc2.bias.grad)  # ... is the batch's gradient
