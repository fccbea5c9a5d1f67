from django.db import migrations

CATEGORIES = [
    ("beauty", "美妆", "Beauty"),
    ("fashion", "服饰", "Fashion"),
    ("food", "食品", "Food"),
    ("mother", "母婴", "Mother & baby"),
    ("digital", "数码", "Electronics"),
    ("home", "家居", "Home"),
    ("sports", "运动", "Sports"),
    ("jewelry", "珠宝", "Jewellery"),
    ("books", "图书", "Books"),
    ("pets", "宠物", "Pets"),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("admission", "Category")
    for position, (code, zh, en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("admission", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
