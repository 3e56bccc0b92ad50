"""Pages reached by a signed link in an email: read the token, or explain why it will not do."""

from __future__ import annotations

from flask import render_template

from mailer.subscribers.tokens import Purpose, TokenError, TokenExpiredError

from .extensions import container_of


class LinkProblem(Exception):
    """A link that cannot be used, with the page that says so."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


def link_id_from(purpose: Purpose, token: str) -> str:
    """The link id in a link's token; LinkProblem (400 or 410) otherwise."""
    try:
        return container_of().tokens.read(purpose, token)
    except TokenExpiredError:
        raise LinkProblem(
            410,
            "This link has expired",
            "Links in our emails stop working after a while, to keep your subscription safe.",
        ) from None
    except TokenError:
        raise LinkProblem(
            400,
            "This link is not valid",
            "It may have been copied incompletely. Try opening it from the email again.",
        ) from None


def link_problem_page(problem: LinkProblem):
    """Render a LinkProblem as a page."""
    return render_template(
        "link_problem.html", title=problem.title, message=problem.message
    ), problem.status
