"""``get_FOO_display()`` is a dictionary lookup (hotwave.apps.quick_choice_labels) that
answers exactly as Django's own: every choice of every model, in both languages."""

from functools import partialmethod

import pytest
from django.apps import apps
from django.db.models import Model
from django.utils import translation

from hotwave.apps import _choice_label


def _choice_fields():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.choices and isinstance(field.choices, list | tuple):
                yield model, field


def test_every_model_field_with_choices_uses_the_quick_lookup():
    fields = list(_choice_fields())
    assert len(fields) > 20  # states, roles, kinds … across the apps
    for model, field in fields:
        method = model.__dict__.get(f"get_{field.name}_display")
        if isinstance(method, partialmethod):
            assert method.func is _choice_label, f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_equal_djangos_for_every_choice_and_unknown_values(language):
    with translation.override(language):
        for model, field in _choice_fields():
            for value, _label in [*field.flatchoices, ("not-a-choice", None)]:
                obj = model()
                setattr(obj, field.attname, value)
                ours = getattr(obj, f"get_{field.name}_display")()
                djangos = Model._get_FIELD_display(obj, field)
                assert ours == djangos, (model.__name__, field.name, value)
                assert type(ours) is type(djangos)


def test_the_label_follows_the_active_language():
    from notifications.models import Notification

    field = Notification._meta.get_field("kind")
    value = field.flatchoices[0][0]
    note = Notification(kind=value)
    with translation.override("zh-hans"):
        zh = note.get_kind_display()
    with translation.override("en"):
        en = note.get_kind_display()
    assert zh != en
    for language, label in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            assert label == str(dict(field.flatchoices)[value])
