# "Save and Load the Model" (PyTorch tutorials, Learn the Basics): saving a model's state_dict and
# loading it into a fresh model with weights_only=True, then saving and loading the whole model
# (weights_only=False, since that pickles the model's class). The tutorial saves torchvision's
# pretrained VGG16; a small VGG-style network defined here takes its place, and the files go to
# a temporary directory.
#
#     .venv/bin/python examples/save_and_load.py                               # PyTorch
#     .venv/bin/python examples/with_torchless.py examples/save_and_load.py    # torchless
import os
import tempfile

import torch
from torch import nn

torch.manual_seed(0)


class TinyVGG(nn.Module):
    """Two VGG blocks (3x3 convolutions, ReLU, max pooling) and a classifier, for 3x32x32 images."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
        self.classifier = nn.Sequential(
            nn.Linear(16 * 4 * 4, 32),
            nn.ReLU(True),
            nn.Dropout(p=0.5),
            nn.Linear(32, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


directory = tempfile.mkdtemp()
images = torch.randn(2, 3, 32, 32)

# Saving and loading model weights
model = TinyVGG()  # the tutorial: models.vgg16(weights='IMAGENET1K_V1')
model.eval()
expected = model(images)
torch.save(model.state_dict(), os.path.join(directory, 'model_weights.pth'))

model = TinyVGG()  # we do not specify ``weights``, i.e. create untrained model
print(model(images).eq(expected).all())  # a fresh model computes something else
print(model.load_state_dict(torch.load(os.path.join(directory, 'model_weights.pth'), weights_only=True)))
model.eval()
print(model(images).eq(expected).all())
print(expected)

# Saving and loading models with shapes
torch.save(model, os.path.join(directory, 'model.pth'))
model = torch.load(os.path.join(directory, 'model.pth'), weights_only=False)
print(model)
print(model.training, model(images).eq(expected).all())

# the state dict itself: parameter names and shapes
for name, tensor in torch.load(os.path.join(directory, 'model_weights.pth'), weights_only=True).items():
    print(name, tuple(tensor.shape), tensor.dtype)

for name in os.listdir(directory):
    os.remove(os.path.join(directory, name))
os.rmdir(directory)
