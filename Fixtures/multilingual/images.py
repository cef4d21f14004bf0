from PIL import Image


def make_thumbnail(source_path: str, target_path: str, size: int = 128) -> None:
    """Resize an image to a small thumbnail, keeping its aspect ratio."""
    with Image.open(source_path) as image:
        image.thumbnail((size, size))
        image.save(target_path)
