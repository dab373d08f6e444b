"""Notebook 05: a residual block padded with zeros (PyTorch's Conv2d padding=1) instead of reflection. It keeps the
shape and the parameter count, so it passes the visible tests, but the hidden check compares its output with the
reference's weights loaded and names the padding."""
CELL = "ResidualBlock"
SOURCE = '''
class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.InstanceNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.InstanceNorm2d(channels),
        )

    def forward(self, x):
        return x + self.block(x)
'''
FAILING_TEST = "ResidualBlock_tests"
MESSAGE = "pad with nn.ReflectionPad2d(1)"
