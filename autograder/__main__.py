import sys

from autograder.cli import main

if __name__ == "__main__":   # not when a worker process (dask, multiprocessing) imports it
    sys.exit(main())
