"""Entry point for spark-submit on a cluster:

    spark-submit --master spark://host:7077 --jars <connector jars> \\
        $(python -c 'import cinematch.entrypoints.spark.submit as m; print(m.__file__)') stream

The arguments are those of `cinematch spark` (stream or reconcile); --master and --jars
are spark-submit's. The executors need CineMatch installed (or shipped with --py-files).
"""

import sys

from cinematch.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main(["spark", *sys.argv[1:]]))
