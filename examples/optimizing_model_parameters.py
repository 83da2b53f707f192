# "Optimizing Model Parameters" (PyTorch tutorials, Learn the Basics): train_loop and test_loop
# with CrossEntropyLoss and SGD over DataLoaders of batch 64. FashionMNIST is replaced by a small
# synthetic dataset of the same shapes (1x28x28 images in [0, 1], labels 0-9 from a fixed random
# linear "teacher", so there is something to learn), and 2 epochs replace 10.
#
#     .venv/bin/python examples/optimizing_model_parameters.py                               # PyTorch
#     .venv/bin/python examples/with_torchless.py examples/optimizing_model_parameters.py    # torchless
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class SyntheticFashionMNIST(Dataset):
    """Stands in for torchvision's FashionMNIST with ToTensor(): (1x28x28 float image, int label)."""

    def __init__(self, n, generator):
        self.images = torch.rand(n, 1, 28, 28, generator=generator)
        teacher = torch.randn(28 * 28, 10, generator=generator)
        self.labels = (self.images.flatten(1) - 0.5).matmul(teacher).argmax(1).tolist()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.images[idx], self.labels[idx]


training_data = SyntheticFashionMNIST(1280, torch.Generator().manual_seed(1))
test_data = SyntheticFashionMNIST(320, torch.Generator().manual_seed(2))

train_dataloader = DataLoader(training_data, batch_size=64)
test_dataloader = DataLoader(test_data, batch_size=64)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()

# Hyperparameters
learning_rate = 1e-3
batch_size = 64
epochs = 2

# Initialize the loss function
loss_fn = nn.CrossEntropyLoss()

optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    # Set the model to training mode - important for batch normalization and dropout layers
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        # Compute prediction and loss
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 5 == 0:  # the tutorial reports every 100 batches of its 938
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test_loop(dataloader, model, loss_fn):
    # Set the model to evaluation mode - important for batch normalization and dropout layers
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0

    # no_grad: no gradients are computed during test mode
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()

    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


for t in range(epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loop(test_dataloader, model, loss_fn)
print("Done!")
