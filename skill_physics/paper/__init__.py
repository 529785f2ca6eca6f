"""The paper layer: what exists to regenerate the figures of arXiv 2501.12391 from the science core.

``replay`` (the original code's random streams), ``figure`` and ``panels`` (the figure scripts' toolkit), ``store``
and ``paths`` (cache files and where they live), ``sweep`` (the scaling-law sweep of Figs 10, 11, 18) and
``scaling`` (its analysis).
"""
