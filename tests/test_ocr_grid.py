"""A drawn table's vertical rules made whole: broken by a photocopy, two tables apart."""

from __future__ import annotations

import cv2
import numpy as np

from daemon.ingest.reports.ocr.grid import Wall, grid

DPI = 300.0


def test_a_rule_broken_into_dashes_is_one_wall_through_the_lines_it_lost() -> None:
    down = np.zeros((1200, 600), dtype=np.uint8)
    for y in range(100, 700, 40):  # a vertical rule broken into 25 px dashes
        cv2.line(down, (300, y), (300, y + 25), 255, 2)
    walls = grid(down, DPI)
    assert len(walls.walls) == 1 and 299 <= walls.walls[0].x <= 301
    assert walls.walled(250, 350, 128, 138)  # a line beside one of the gaps
    assert not walls.walled(310, 350, 300, 320)  # no wall between these words
    assert not walls.walled(250, 350, 900, 920)  # below the table


def test_two_tables_at_one_x_are_two_walls_not_one_through_the_text_between() -> None:
    down = np.zeros((1500, 600), dtype=np.uint8)
    cv2.line(down, (100, 100), (100, 500), 255, 2)
    cv2.line(down, (101, 800), (101, 1300), 255, 2)
    walls = grid(down, DPI)
    assert [(w.top // 10, w.bottom // 10) for w in walls.walls] == [(9, 50), (79, 130)]
    assert not walls.walled(50, 150, 640, 660)  # the heading between the tables
    assert walls.crossing(500, 0, 600, reach=10) == [100]


def test_short_strokes_are_no_wall() -> None:
    down = np.zeros((600, 600), dtype=np.uint8)
    cv2.line(down, (300, 100), (300, 150), 255, 2)  # a sixth of an inch: a letter's stem
    assert grid(down, DPI).walls == () and Wall(1.0, 0, 1) != Wall(2.0, 0, 1)
