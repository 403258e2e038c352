"""The bottom layer: errors, argument checks, thread settings and atomic files.

``engine``, ``signals``, ``strategies`` and ``reports`` may import ``core``;
``core`` imports none of them, so that every package can raise the same errors
and write files the same way without pointing a dependency upwards.

* :mod:`core.errors`: ``TradecastError`` and its kinds (``DataError``, ``ConfigError``,
  ``ParameterError``), ``DataWarning``;
* :mod:`core.checks`: the ``check_*`` functions that name a parameter, its value, the rule and a hint;
* :mod:`core.threads`: one thread for torch and BLAS in every process;
* :mod:`core.atomic`: files written whole or not at all, and self-checking parquet.
"""
