"""Model answers for notebook 04's exercises, written independently of gancourse (as a student would),
plus typical wrong answers, used to test the autograder checks."""
import torch
import torch.nn.functional as F

from gancourse.losses import bce_with_logits, discriminator_loss, generator_loss


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
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)
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
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)
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


# ---- wrong answers that pass the notebook's visible tests (one per line of WRONG in test_checks_conditional.py) ----
def one_hot_negative_wraps(labels, n_classes):
    """Checks only the upper end: a label -1 indexes the last row of the identity and passes as the last class."""
    if labels.numel() and int(labels.max()) >= n_classes:
        raise ValueError(f"labels must be below {n_classes}")
    return torch.eye(n_classes)[labels]


def one_hot_width_from_labels(labels, n_classes):
    """Validates, then forgets num_classes: the width is the largest label + 1."""
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes})")
    return F.one_hot(labels).float()


def one_hot_squeezed(labels, n_classes):
    """Squeezes the rows "to be safe": a batch of one loses its batch dimension."""
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes})")
    return torch.eye(n_classes)[labels].squeeze()


def one_hot_torch_rejects_negatives(labels, n_classes):
    """Checks only the upper end and leaves negatives to F.one_hot, which raises a RuntimeError, not a ValueError."""
    if labels.numel() and int(labels.max()) >= n_classes:
        raise ValueError(f"labels must be below {n_classes}")
    return F.one_hot(labels, n_classes).float()


def generator_input_no_grad(z, labels, n_classes):
    """Runs under no_grad ("building the input learns nothing"): G's gradient never reaches z."""
    with torch.no_grad():
        return torch.cat([z, one_hot(labels, n_classes)], dim=1)


def generator_input_width_from_labels(z, labels, n_classes):
    """torch's one_hot without num_classes: as wide as the largest label in the batch + 1."""
    return torch.cat([z, F.one_hot(labels).float()], dim=1)


def generator_input_numpy(z, labels, n_classes):
    """Concatenated in NumPy: fails once z requires grad, as it does while G trains."""
    import numpy as np
    return torch.from_numpy(np.concatenate([z.numpy(), one_hot(labels, n_classes).numpy()], axis=1))


def discriminator_input_square(images, labels, n_classes):
    """Assumes square images: the label maps take the width for the height too."""
    b, size = images.shape[0], images.shape[-1]
    maps = one_hot(labels, n_classes)[:, :, None, None].expand(b, n_classes, size, size)
    return torch.cat([images, maps], dim=1)


def discriminator_input_hw_swapped(images, labels, n_classes):
    """Height and width swapped in the repeat: right only for square images."""
    b, _, h, w = images.shape
    maps = one_hot(labels, n_classes).view(b, n_classes, 1, 1).repeat(1, 1, w, h)
    return torch.cat([images, maps], dim=1)


def discriminator_input_no_grad(images, labels, n_classes):
    """Under no_grad: D's verdict on a generated image no longer reaches G."""
    b, _, h, w = images.shape
    with torch.no_grad():
        maps = one_hot(labels, n_classes)[:, :, None, None].expand(b, n_classes, h, w)
        return torch.cat([images, maps], dim=1)


def d_step_no_zero_grad(D, G, real, labels, noise, opt_D, wrong_labels=None):
    fake = G(noise, labels).detach()
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_wrong_labels_on_fakes(D, G, real, labels, noise, opt_D, wrong_labels=None):
    """The mismatched pairs are built from the generated images instead of the real ones."""
    opt_D.zero_grad()
    fake = G(noise, labels).detach()
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(fake, wrong_labels), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_real_counted_twice(D, G, real, labels, noise, opt_D, wrong_labels=None):
    """Reuses discriminator_loss for the mismatched pairs, which adds the real pairs' term a second time."""
    opt_D.zero_grad()
    fake = G(noise, labels).detach()
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + discriminator_loss(D(real, labels), D(real, wrong_labels))
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_freezes_G(D, G, real, labels, noise, opt_D, wrong_labels=None):
    """Freezes G instead of detaching, and never unfreezes it: the next g_step cannot train G."""
    G.requires_grad_(False)
    opt_D.zero_grad()
    fake = G(noise, labels)
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_fakes_in_eval_mode(D, G, real, labels, noise, opt_D, wrong_labels=None):
    """Generates the fakes with G in eval mode, "as when sampling"."""
    opt_D.zero_grad()
    G.eval()
    with torch.no_grad():
        fake = G(noise, labels)
    G.train()
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step_saturating(D, G, noise, labels, opt_G):
    """The min-max form of the paper: minimise log(1 - D(G(z, y), y))."""
    opt_G.zero_grad()
    loss = torch.log(1 - torch.sigmoid(D(G(noise, labels), labels))).mean()
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_eval_D(D, G, noise, labels, opt_G):
    """D "is not trained here", so it goes to eval mode (and leaves it there)."""
    D.eval()
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise, labels), labels))
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_freezes_D(D, G, noise, labels, opt_G):
    """Freezes D so that it is not updated, and never unfreezes it: the next d_step cannot train D."""
    D.requires_grad_(False)
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise, labels), labels))
    loss.backward()
    opt_G.step()
    return loss.item()


def class_accuracy_with_grad(G, classifier, per_class=100):
    """Forgets torch.no_grad(): every sample keeps its graph."""
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    was_training = G.training
    G.eval()
    predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    G.train(was_training)
    return (predicted == labels).float().mean().item()


def class_accuracy_always_train(G, classifier, per_class=100):
    """Puts G back in training mode whatever mode it was in."""
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    G.train()
    return (predicted == labels).float().mean().item()


def class_accuracy_uniform_noise(G, classifier, per_class=100):
    """torch.rand instead of torch.randn: uniform noise in [0, 1), not the N(0, I) G was trained on."""
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.rand(len(labels), G.latent_dim), labels)).argmax(dim=1)
    G.train(was_training)
    return (predicted == labels).float().mean().item()


def class_accuracy_fixed_latent(G, classifier, per_class=100):
    """The notebook's latent size written in: right only for a generator with latent_dim 64."""
    labels = torch.arange(G.n_classes).repeat_interleave(per_class)
    was_training = G.training
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), 64), labels)).argmax(dim=1)
    G.train(was_training)
    return (predicted == labels).float().mean().item()


def class_accuracy_per_class_total(G, classifier, per_class=100):
    """per_class samples in all, spread over the classes, instead of per_class of every class."""
    labels = torch.arange(per_class) % G.n_classes
    was_training = G.training
    G.eval()
    with torch.no_grad():
        predicted = classifier(G(torch.randn(len(labels), G.latent_dim), labels)).argmax(dim=1)
    G.train(was_training)
    return (predicted == labels).float().mean().item()
