# "NLP From Scratch: Classifying Names with a Character-Level RNN" (PyTorch tutorials), in its
# current form: names as one-hot letter sequences, a NamesDataset split by random_split, CharRNN
# (nn.RNN, then a Linear and LogSoftmax on the last hidden state), trained with NLLLoss and SGD in
# shuffled mini-batches with gradient clipping, then a confusion matrix on the test split. The
# tutorial reads 20,000 names of 18 languages from data/names/*.txt; a few dozen names of five
# languages are written out below instead. Fewer epochs, and no timing or plots.
#
#     .venv/bin/python examples/char_rnn_classification.py                               # PyTorch
#     .venv/bin/python examples/with_torchless.py examples/char_rnn_classification.py    # torchless
# ruff: noqa: PLR0402, UP008, RUF059, B008 - the tutorial's own idioms, kept as written
import random
import string
import unicodedata

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import Dataset

torch.manual_seed(0)
random.seed(0)

NAMES = {
    "English": "Abbott Adams Bailey Baker Bennett Carter Clarke Cooper Dawson Edwards Fletcher Fox "
               "Griffin Harris Hughes Jenkins Lambert Marshall Palmer Walker",
    "French": "Beaumont Bellamy Blanchet Bonheur Charpentier Chastain Deschamps Dubois Fontaine Fournier "
              "Gagnon Lafitte Laurent Leclerc Lemieux Marchand Moreau Rousseau Séverin Tremblay",
    "Italian": "Abbate Albanese Bianchi Bruno Caputo Colombo Conti Esposito Ferrari Gallo "
               "Giordano Greco Lombardi Mancini Marino Ricci Romano Russo Santoro Vitale",
    "Japanese": "Abe Fujita Hayashi Inoue Ito Kato Kimura Kobayashi Matsumoto Nakamura "
                "Ogawa Saito Sasaki Suzuki Takahashi Tanaka Watanabe Yamada Yamamoto Yoshida",
    "Russian": "Abramov Belov Bogdanov Fedorov Golubev Ivanov Kozlov Kuznetsov Lebedev Morozov "
               "Novikov Orlov Pavlov Petrov Popov Smirnov Sokolov Volkov Vorobiev Zaitsev",
}

# Preparing the data
allowed_characters = string.ascii_letters + " .,;'" + "_"
n_letters = len(allowed_characters)


# Turn a Unicode string to plain ASCII, thanks to https://stackoverflow.com/a/518232/2809427
def unicodeToAscii(s):
    return ''.join(
        c for c in unicodedata.normalize('NFD', s)
        if unicodedata.category(c) != 'Mn'
        and c in allowed_characters
    )


print(f"converting 'Ślusàrski' to {unicodeToAscii('Ślusàrski')}")


# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    # return our out-of-vocabulary character if we encounter a letter unknown to our model
    if letter not in allowed_characters:
        return allowed_characters.find("_")
    else:
        return allowed_characters.find(letter)


# Turn a line into a <line_length x 1 x n_letters>,
# or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(f"The letter 'a' becomes {lineToTensor('a')}")  # notice 'a' is index 0
print(f"The name 'Ahn' becomes {lineToTensor('Ahn')}")  # notice 'A' sets the 27th index to 1


class NamesDataset(Dataset):

    def __init__(self, names):
        labels_set = set()  # set of all classes

        self.data = []
        self.data_tensors = []
        self.labels = []
        self.labels_tensors = []

        # the tutorial reads one file per language here
        for label, lines in names.items():
            labels_set.add(label)
            for name in lines.split(" "):
                self.data.append(name)
                self.data_tensors.append(lineToTensor(name))
                self.labels.append(label)

        # Cache the tensor representation of the labels
        self.labels_uniq = sorted(labels_set)  # the tutorial's list(labels_set) varies with PYTHONHASHSEED
        for idx in range(len(self.labels)):
            temp_tensor = torch.tensor([self.labels_uniq.index(self.labels[idx])], dtype=torch.long)
            self.labels_tensors.append(temp_tensor)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        data_item = self.data[idx]
        data_label = self.labels[idx]
        data_tensor = self.data_tensors[idx]
        label_tensor = self.labels_tensors[idx]

        return label_tensor, data_tensor, data_label, data_item


alldata = NamesDataset(NAMES)
print(f"loaded {len(alldata)} items of data")
print(f"example = {alldata[0]}")

train_set, test_set = torch.utils.data.random_split(alldata, [.85, .15],
                                                    generator=torch.Generator().manual_seed(2024))

print(f"train examples = {len(train_set)}, validation examples = {len(test_set)}")


# Creating the Network
class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharRNN, self).__init__()

        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)

        return output


n_hidden = 128
rnn = CharRNN(n_letters, n_hidden, len(alldata.labels_uniq))
print(rnn)


def label_from_output(output, output_labels):
    top_n, top_i = output.topk(1)
    label_i = top_i[0].item()
    return output_labels[label_i], label_i


input = lineToTensor('Albert')
output = rnn(input)  # this is equivalent to ``output = rnn.forward(input)``
print(output)
print(label_from_output(output, alldata.labels_uniq))


# Training
def train(rnn, training_data, n_epoch=10, n_batch_size=64, report_every=50, learning_rate=0.2,
          criterion=nn.NLLLoss()):
    """
    Learn on a batch of training_data for a specified number of iterations and reporting thresholds
    """
    # Keep track of losses for plotting
    current_loss = 0
    all_losses = []
    rnn.train()
    optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate)

    print(f"training on data set with n = {len(training_data)}")

    for iter in range(1, n_epoch + 1):
        rnn.zero_grad()  # clear the gradients

        # create some minibatches
        # we cannot use dataloaders because each of our names is a different length
        batches = list(range(len(training_data)))
        random.shuffle(batches)
        batches = np.array_split(batches, len(batches) // n_batch_size)

        for idx, batch in enumerate(batches):
            batch_loss = 0
            for i in batch:  # for each example in this batch
                (label_tensor, text_tensor, label, text) = training_data[i]
                output = rnn.forward(text_tensor)
                loss = criterion(output, label_tensor)
                batch_loss += loss

            # optimize parameters
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()

            current_loss += batch_loss.item() / len(batch)

        all_losses.append(current_loss / len(batches))
        if iter % report_every == 0:
            print(f"{iter} ({iter / n_epoch:.0%}): \t average batch loss = {all_losses[-1]}")
        current_loss = 0

    return all_losses


# the tutorial: n_epoch=27 over 17,000 names in batches of 64
all_losses = train(rnn, train_set, n_epoch=12, n_batch_size=8, learning_rate=0.15, report_every=2)


# Evaluating the Results
def evaluate(rnn, testing_data, classes):
    confusion = torch.zeros(len(classes), len(classes))

    rnn.eval()  # set to eval mode
    with torch.no_grad():  # do not record the gradients during eval phase
        for i in range(len(testing_data)):
            (label_tensor, text_tensor, label, text) = testing_data[i]
            output = rnn(text_tensor)
            guess, guess_i = label_from_output(output, classes)
            label_i = classes.index(label)
            confusion[label_i][guess_i] += 1

    # Normalize by dividing every row by its sum
    for i in range(len(classes)):
        denom = confusion[i].sum()
        if denom > 0:
            confusion[i] = confusion[i] / denom

    # the tutorial plots the matrix with matplotlib
    print(classes)
    print(confusion)


evaluate(rnn, test_set, classes=alldata.labels_uniq)

# not in the tutorial: the trained network on a few names it has not seen
with torch.no_grad():
    for name in ["Dostoevsky", "Satoshi", "Jackson", "Rossi", "Dupont"]:
        print(name, label_from_output(rnn(lineToTensor(name)), alldata.labels_uniq))
