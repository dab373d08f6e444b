"""Notebook 04: the label channels put before the image. It has the right shape and one 1 per pixel among the label
channels, so it passes the visible tests, but the hidden check compares channel by channel."""
CELL = "discriminator_input"
SOURCE = '''
def discriminator_input(images, labels, n_classes):
    b, _, h, w = images.shape
    maps = one_hot(labels, n_classes)[:, :, None, None].expand(b, n_classes, h, w)
    return torch.cat([maps, images], dim=1)
'''
FAILING_TEST = "discriminator_input_tests"
MESSAGE = "puts the label channels before the image"
