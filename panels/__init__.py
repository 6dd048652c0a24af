"""The explorer's panels. Each takes the page's current View and draws one part of the page;
the numbers come from vae.explore and the figures from vae.plots."""
