"""Help that teaches: every command has a description and an example, every option a help line;
a bare pacing-sim shows the help; the unit convention is stated."""

from __future__ import annotations

import argparse

import pytest

from sim import cli


def subparsers():
    sub = cli.build_parser()._subparsers._group_actions[0]
    return list(sub.choices.items())


@pytest.mark.parametrize("name,parser", subparsers(), ids=[n for n, _ in subparsers()])
def test_every_command_has_a_description_an_example_and_help_per_option(name, parser):
    assert parser.description and len(parser.description) > 60, f"{name}: no description"
    assert parser.epilog and "example" in parser.epilog and f"pacing-sim {name}" in parser.epilog, f"{name}: no example"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name}: {action.option_strings or action.dest} has no help"
    parser.format_help()  # no formatting error (a lone % in a help text)


def test_bare_pacing_sim_shows_the_help(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "usage: pacing-sim" in out and "getting started" in out
    assert "percent" in out and "fractions" in out, "the unit convention is stated"
    for name, _ in subparsers():
        assert name in out
