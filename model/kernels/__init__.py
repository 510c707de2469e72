"""Compiled kernels (numba) for the month's passes over the person arrays.

Speed only: a kernel implements a rule whose one description is the
docstring of the rule's function in :mod:`model.labour_market`,
:mod:`model.policies` or :mod:`model.outcomes`, and each kernel's docstring
says which.  Conventions (DESIGN.md, "Speed comes from fused passes"):

* ``@njit(cache=True)``, never ``fastmath`` (it would change float results);
  compiled code is cached next to these modules (``__pycache__``), or under
  ``NUMBA_CACHE_DIR`` where that is set (numba falls back to a per-user cache
  when the source tree is read-only), so a second process or a Dask worker
  loads it instead of compiling again.  Measured: a fresh clone compiles
  once (about 11 s); each later process loads the kernels on their first
  call (about 0.3 s in all, once per process, paid by the first model);
* no random numbers are drawn inside a kernel: the caller draws uniforms
  from the model's ``numpy.random.Generator`` and passes them in, so a run
  stays fully determined by its seed;
* a kernel fuses what would otherwise be several numpy passes over the
  ~550,000 people (or ~210,000 households) into one loop, and returns index
  lists of the few people a rule acts on ("select, then act": the acting
  stays in the rule's own Python function).
"""
