"""Notebook 03: every weight drawn from N(0, 0.02), batch norm's scale γ included. It passes the visible tests
(which look at the convolutions and the biases) but not the hidden check of the batch-norm scale."""
CELL = "dcgan_init"
SOURCE = '''
def dcgan_init(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
'''
FAILING_TEST = "dcgan_init_tests"
MESSAGE = "expected N(1, 0.02)"
