"""The two workloads: a task that does nothing (sleep 0) and the photo pipeline the service runs
(resize to 960 wide, sharpen, grayscale, JPEG q85), with plain Pillow."""

import base64
import io
import time

from celery import shared_task
from PIL import Image, ImageFilter


@shared_task
def sleep(seconds: float = 0) -> dict:
    time.sleep(seconds)
    return {"slept_seconds": seconds}


@shared_task
def image(data: str) -> str:
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    height = round(picture.height * 960 / picture.width)
    picture = picture.resize((960, height), Image.Resampling.LANCZOS).filter(ImageFilter.SHARPEN).convert("L")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode()
