"""kombu's filesystem transport with atomic writes, for the embedded mode (`make run`).

The stock transport creates a message file and then writes into it, and creates an exchange's routing table the
same way; a reader that lists the folder in between (the worker polls it all the time) reads an empty or partial
file and dies with `JSONDecodeError` (kombu's readers take no lock on a message file). Here every file is written
whole under a staging folder on the same filesystem and then renamed into place, so a reader sees either nothing or
the complete file. Used when CELERY_BROKER_URL is `filesystem://` (config/celery.py)."""

import os
import uuid
from pathlib import Path
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    @property
    def staging_folder(self) -> Path:
        folder = Path(self.transport_options["staging_folder"])
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _staged(self, content: bytes) -> Path:
        staged = self.staging_folder / f"{uuid.uuid4()}.part"
        with open(staged, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        return staged

    def _put(self, queue, payload, **kwargs):
        # the stock name: sorted by time of publication, the queue after the first dot
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        os.replace(self._staged(str_to_bytes(dumps(payload))), os.path.join(self.data_folder_out, name))

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        # Create the routing table whole (an empty list) if it is missing; the stock code then adds the queue
        # under its exclusive lock. os.link fails if another process created the table first: that one stays.
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(exist_ok=True)
            staged = self._staged(b"[]")
            try:
                os.link(staged, table)
            except FileExistsError:
                pass
            finally:
                staged.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
    # A folder has no host: without this kombu warns "No hostname was supplied" at every connection.
    default_connection_params = {}
