from django.db import models


class RecordRow(models.Model):
    # The sequence is the insertion order: "oldest N" is an index scan on the primary key.
    seq = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True)
    text = models.TextField()

    class Meta:
        db_table = "record"
