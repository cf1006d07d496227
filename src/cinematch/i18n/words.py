"""Words the pages translate when they meet them whole (`i18n.translate`): genre names (the
statistics, the API and the stores keep the canonical English names of MovieLens, IMDb and TMDB;
only their display is translated) and the names of an entry's fields inside a message ("date must
be from …")."""

from __future__ import annotations

from ..domain.messages import N_

GENRE_NAMES = (
    N_("Action"), N_("Adventure"), N_("Animation"), N_("Biography"), N_("Children's"), N_("Comedy"), N_("Crime"),
    N_("Documentary"), N_("Drama"), N_("Family"), N_("Fantasy"), N_("Film-Noir"), N_("History"), N_("Horror"),
    N_("Music"), N_("Musical"), N_("Mystery"), N_("Romance"), N_("Sci-Fi"), N_("Science Fiction"), N_("Short"),
    N_("Sport"), N_("Thriller"), N_("TV Movie"), N_("War"), N_("Western"), N_("unknown"),
)

FIELD_NAMES = (N_("date"), N_("rating"), N_("name"), N_("year"), N_("tags"), N_("review"), N_("title"))
