# "Neural Networks" (PyTorch tutorials, Deep Learning with PyTorch: A 60 Minute Blitz): the LeNet
# network, its parameters, backpropagating random gradients, a loss and the graph behind it, and
# a weight update by hand and by optim.SGD. A random 32x32 image stands in for real input, as in
# the tutorial.
#
#     .venv/bin/python examples/neural_networks_lenet.py                               # PyTorch
#     .venv/bin/python examples/with_torchless.py examples/neural_networks_lenet.py    # torchless
# ruff: noqa: PLR0402, UP008 - the tutorial's own idioms, kept as written
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        # C1: 6 channels of 28x28, then ReLU
        c1 = F.relu(self.conv1(input))
        # S2: 2x2 max pooling -> 6 channels of 14x14
        s2 = F.max_pool2d(c1, (2, 2))
        # C3: 16 channels of 10x10, then ReLU
        c3 = F.relu(self.conv2(s2))
        # S4: 2x2 max pooling -> 16 channels of 5x5
        s4 = F.max_pool2d(c3, 2)
        # flatten to (N, 400)
        s4 = torch.flatten(s4, 1)
        # F5, F6: fully connected with ReLU
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        # output: (N, 10)
        output = self.fc3(f6)
        return output


net = Net()
print(net)

params = list(net.parameters())
print(len(params))
print(params[0].size())  # conv1's .weight

input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)

# zero the gradient buffers of all parameters, backprop with random gradients
net.zero_grad()
out.backward(torch.randn(1, 10))

# Loss function
output = net(input)
target = torch.randn(10)  # a dummy target, for example
target = target.view(1, -1)  # make it the same shape as output
criterion = nn.MSELoss()

loss = criterion(output, target)
print(loss)

print(loss.grad_fn)  # MSELoss
print(loss.grad_fn.next_functions[0][0])  # Linear
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # ReLU

# Backprop
net.zero_grad()  # zeroes the gradient buffers of all parameters

print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)

loss.backward()

print('conv1.bias.grad after backward')
print(net.conv1.bias.grad)

# Update the weights: weight = weight - learning_rate * gradient
learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)

import torch.optim as optim  # imported where the tutorial introduces it

# create your optimizer
optimizer = optim.SGD(net.parameters(), lr=0.01)

# in your training loop:
optimizer.zero_grad()   # zero the gradient buffers
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()    # Does the update

# not in the tutorial: show where the update went
print(loss)
print(net(input))
