"""Publishing: a static, self-verifying bundle of results, open data, images and the signed log.

    report = publish(store, Path("bundle"))     # writes or updates the folder

The layout of a bundle and what `testigo verify` checks are specified in
``docs/bundle-format.md``; the file names are in `testigo.publish.layout`.
"""

from testigo.publish.publisher import PublishReport, publish

__all__ = ["PublishReport", "publish"]
