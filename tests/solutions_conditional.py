"""Model answers for notebook 04's exercises, written independently of gancourse (as a student would),
plus typical wrong answers, used to test the autograder checks."""
import torch
import torch.nn.functional as F

from gancourse.losses import discriminator_loss, generator_loss


def one_hot(labels, n_classes):
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes})")
    return F.one_hot(labels.long(), n_classes).float()


def generator_input(z, labels, n_classes):
    return torch.cat([z, one_hot(labels, n_classes)], dim=1)


def discriminator_input(images, labels, n_classes):
    b, _, h, w = images.shape
    maps = one_hot(labels, n_classes).view(b, n_classes, 1, 1).repeat(1, 1, h, w)
    return torch.cat([images, maps], dim=1)


def d_step(D, G, real, labels, noise, opt_D, wrong_labels=None):
    opt_D.zero_grad()
    fake = G(noise, labels).detach()
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        mismatched = D(real, wrong_labels)
        loss = loss + F.binary_cross_entropy_with_logits(mismatched, torch.zeros_like(mismatched))
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step(D, G, noise, labels, opt_G):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise, labels), labels))
    loss.backward()
    opt_G.step()
    return loss.item()


def class_accuracy(G, classifier, per_class=100):
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        images = G(torch.randn(len(labels), G.latent_dim), labels)
        predicted = classifier(images).argmax(dim=1)
    G.train(was_training)
    return (predicted == labels).float().mean().item()


# ---- wrong answers -------------------------------------------------------------------------------------------
def one_hot_int(labels, n_classes):
    return F.one_hot(labels, n_classes)


def one_hot_no_check(labels, n_classes):
    out = torch.zeros(len(labels), n_classes)
    out[torch.arange(len(labels)), labels.clamp(0, n_classes - 1)] = 1
    return out


def one_hot_max_width(labels, n_classes):
    return F.one_hot(labels).float()


def generator_input_swapped(z, labels, n_classes):
    return torch.cat([one_hot(labels, n_classes), z], dim=1)


def discriminator_input_swapped(images, labels, n_classes):
    b, _, h, w = images.shape
    return torch.cat([one_hot(labels, n_classes).view(b, n_classes, 1, 1).expand(-1, -1, h, w), images], dim=1)


def discriminator_input_mnist_only(images, labels, n_classes):
    maps = one_hot(labels, n_classes)[:, :, None, None].expand(-1, -1, 28, 28)
    return torch.cat([images, maps], dim=1)


def d_step_fakes_relabelled(D, G, real, labels, noise, opt_D, wrong_labels=None):
    opt_D.zero_grad()
    fake = G(noise, labels).detach()
    loss = discriminator_loss(D(real, labels), D(fake, labels.roll(1)))
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_no_detach(D, G, real, labels, noise, opt_D, wrong_labels=None):
    opt_D.zero_grad()
    loss = discriminator_loss(D(real, labels), D(G(noise, labels), labels))
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_one_batch(D, G, real, labels, noise, opt_D, wrong_labels=None):
    """Real and generated images through D in one batch: batch normalisation then mixes their statistics."""
    opt_D.zero_grad()
    fake = G(noise, labels).detach()
    logits = D(torch.cat([real, fake]), torch.cat([labels, labels]))
    loss = discriminator_loss(logits[:len(real)], logits[len(real):])
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step_wrong_labels(D, G, noise, labels, opt_G):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise, labels), labels.roll(1)))
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_no_zero_grad(D, G, noise, labels, opt_G):
    loss = generator_loss(D(G(noise, labels), labels))
    loss.backward()
    opt_G.step()
    return loss.item()


def class_accuracy_train_mode(G, classifier, per_class=100):
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    return (predicted == labels).float().mean().item()


def class_accuracy_random_labels(G, classifier, per_class=100):
    labels = torch.randint(0, G.n_classes, (G.n_classes * per_class,))
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    G.train()
    return (predicted == labels).float().mean().item()


def class_accuracy_stays_in_eval(G, classifier, per_class=100):
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    return (predicted == labels).float().mean().item()


def d_step_ignores_wrong_labels(D, G, real, labels, noise, opt_D, wrong_labels=None):
    return d_step(D, G, real, labels, noise, opt_D)


def d_step_wrong_labels_as_real(D, G, real, labels, noise, opt_D, wrong_labels=None):
    opt_D.zero_grad()
    loss = discriminator_loss(D(real, labels), D(G(noise, labels).detach(), labels))
    if wrong_labels is not None:
        mismatched = D(real, wrong_labels)
        loss = loss + F.binary_cross_entropy_with_logits(mismatched, torch.ones_like(mismatched))
    loss.backward()
    opt_D.step()
    return loss.item()
