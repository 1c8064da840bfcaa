"""The links staff send to applicants, which open their forms prefilled: making and
opening them (:mod:`.tokens`), the encrypted store that keeps their records and the web
app's pages (:mod:`.store`), and the site's secret that signs the long links of earlier
versions (:mod:`.secret`). ``formgen links`` makes and withdraws them; the web app opens
them."""
