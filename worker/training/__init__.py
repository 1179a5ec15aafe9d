"""Offline training of the Indonesian NER model: corpus, rulers, relabeller, evaluation, card.

Not runtime code: it needs the `train` extra, which workers do not install. The layers and the
relabeller component the shipped model is built from stay in `worker/enrich/` (`ner_layers`,
`entity_relabeller`), since the model's config names them.
"""
