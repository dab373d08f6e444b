"""Notebook 06: the gradient penalty computed without ``create_graph=True``. Its value is right, so it passes the
visible tests, but the penalty is then a constant to D's weights and WGAN-GP's critic never learns from it; the
hidden check compares the gradient of the penalty with respect to D's parameters and names create_graph."""
CELL = "gradient_penalty"
SOURCE = '''
def gradient_penalty(D, real, fake, alpha):
    a = alpha.view(-1, 1, 1, 1)
    mixed = (a * real + (1 - a) * fake).detach().requires_grad_(True)
    src, _ = D(mixed)
    grad, = torch.autograd.grad(src.sum(), mixed)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
'''
FAILING_TEST = "gradient_penalty_tests"
MESSAGE = "create_graph=True"
