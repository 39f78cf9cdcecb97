"""Training: ``recipes`` (hyperparameters and the zoo), ``loop`` (one model; DDP; resume), ``card`` (model cards).

Data preparation is ``attnviz.data.tatoeba``. Nothing under ``attnviz.ui`` imports this package.
"""
