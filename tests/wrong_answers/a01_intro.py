"""Notebook 01: the softplus of the mean logit instead of the mean of the softplus. It passes the visible tests
(all-equal logits, batches of one) but not the hidden comparison on random logits."""
CELL = "discriminator_loss"
SOURCE = '''
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits.mean()) + F.softplus(fake_logits.mean())
'''
FAILING_TEST = "discriminator_loss_tests"
MESSAGE = "discriminator_loss on random logits differs from the expected values"
