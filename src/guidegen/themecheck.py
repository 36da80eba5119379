"""Trial-rendering the theme when a project loads, so a broken page template stops the build
before anything is written, and `check` reports it with file and line.

The sample guide has every part a guide can have (goals, people, care team, safety plan,
message, a module) so every branch of the templates that a real guide reaches runs once.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from markupsafe import Markup

from .errors import Problem, display_path
from .guide import Guide, GuideModule, GuideSection
from .pages import render_print, render_web
from .personalise import RenderLimit, work_limit
from .profiles import Profile
from .schema import code_message
from .settings import Settings
from .theme import TEMPLATES_DIR, Theme

INDEX_TEMPLATE = "index.html"
SAMPLE_DAY = date(2026, 1, 15)


def sample_profile(language: str) -> Profile:
    """A person with every part of a guide filled in (fictional)."""
    return Profile.model_validate(
        {
            "id": "sample",
            "name": "Sam",
            "pronouns": "they/them",
            "language": language,
            "trauma_informed": True,
            "goals": [{"text": "Walk every morning", "by": SAMPLE_DAY}],
            "reasons": ["My kids"],
            "triggers": ["Friday nights"],
            "warning_signs": ["Skipping meals"],
            "coping": ["Call my sister"],
            "people": [{"name": "Dana", "relation": "sister", "phone": "555-0101"}],
            "care_team": [{"name": "Alex Kim", "role": "Counselor", "phone": "555-0199"}],
            "safety_plan": {
                "warning_signs": ["Not sleeping"],
                "coping": ["Walk"],
                "distractions": ["The park", {"name": "Dana", "phone": "555-0101"}],
                "help": [{"name": "Dana", "phone": "555-0101"}],
                "professionals": [{"name": "988 Lifeline", "phone": "988"}],
                "safe_environment": ["Lock away medicines"],
                "reason_for_living": "My kids",
            },
            "review": {"next": SAMPLE_DAY, "history": [{"date": SAMPLE_DAY, "note": "Started"}]},
            "message": "We are with you.",
        }
    )


def sample_guide(theme: Theme, settings: Settings, language: str) -> Guide:
    """A guide for the sample person, with one module in each section."""
    strings = theme.strings.get(language, {})
    module = GuideModule("sample", "Sample", "A sample module.", Markup("<p>Sample text.</p>"), False, language)
    sections = tuple(GuideSection(section, section.capitalize(), (module,)) for section in settings.sections)
    return Guide(sample_profile(language), language, SAMPLE_DAY, sections, strings, {})


def trial_render_theme(theme: Theme, settings: Settings, root: Path) -> list[Problem]:
    """Render every page template once per language against a sample guide; problems name the
    template file and line. Nothing is written."""
    problems: list[Problem] = []
    env = theme.page_environment()
    for language in settings.languages:
        if language not in theme.strings:
            continue  # load_theme reported it
        guide = sample_guide(theme, settings, language)
        attempts = (
            functools.partial(render_web, guide, settings, env),
            functools.partial(render_print, guide, settings, env, {"left_out": guide.sections[0].modules}),
            functools.partial(render_print, guide, settings, env, {"left_out": ()}, fit=4, safety_plan_only=True),
            functools.partial(_render_index, env, settings, theme, language),
        )
        for attempt in attempts:
            with work_limit():
                problem = _attempt(attempt, theme, root)
            if problem is not None and problem not in problems:
                problems.append(problem)
    return problems


def _render_index(env: jinja2.Environment, settings: Settings, theme: Theme, language: str) -> str:
    """The staff index page (`build --index`), listing one sample guide."""
    template = env.get_template(INDEX_TEMPLATE)
    link = "https://guides.example.org/sample/#k=sample"
    guides = [{"id": "sample", "pdf": True, "web": True, "link": link, "local": "../site/sample/index.html"}]
    strings = theme.strings[language]
    return template.render(
        settings=settings.in_language(language), t=strings, lang=language, guides=guides, site="../site", mark=""
    )


def _attempt(render: Callable[[], object], theme: Theme, root: Path) -> Problem | None:
    try:
        render()
    except jinja2.TemplateSyntaxError as error:
        return Problem(
            _where(error.filename, root),
            error.lineno,
            f"page template syntax error: {code_message(error.message or '')}",
        )
    except jinja2.TemplateNotFound as error:
        return Problem(
            TEMPLATES_DIR, None, f"page template not found or refused (a link out of the project?): {error.name}"
        )
    except RenderLimit:
        where, line = _template_frame(theme)
        message = "a page template does too much work to render (a loop that runs too long?)"
        return Problem(_where(where, root), line, message)
    except SecurityError:
        where, line = _template_frame(theme)
        return Problem(_where(where, root), line, "a page template tried something the sandbox does not allow")
    except jinja2.UndefinedError:
        where, line = _template_frame(theme)
        return Problem(_where(where, root), line, "a page template uses a name that is not defined")
    except Exception as error:  # noqa: BLE001 - a template can raise anything; report where, not the value
        where, line = _template_frame(theme)
        return Problem(_where(where, root), line, f"page template error ({type(error).__name__})")
    return None


def _template_frame(theme: Theme) -> tuple[str | None, int | None]:
    """The innermost frame of the exception being handled that is a theme template."""
    folders = [str(folder) for folder in theme.dirs]
    for frame in reversed(traceback.extract_tb(sys.exc_info()[2])):
        if frame.filename.endswith(".html") and any(frame.filename.startswith(f) for f in folders):
            return frame.filename, frame.lineno
    return None, None


def _where(filename: str | None, root: Path) -> str:
    return display_path(Path(filename), root) if filename else TEMPLATES_DIR
