"""Acceptance, in a phone-sized browser: create an event, RSVP, download the facilitator packet and
the note cards (rendered to PNG and checked), compose a post that triggers the missing-resource
warning, record pledges."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from respite.community.models import Event, Pledge, Rsvp

TEAL = (0x1D, 0x5C, 0x63)


def _render(pdf: Path, out: Path) -> list[Image.Image]:
    """PDF pages as images via poppler's pdftoppm (as a person would see them printed)."""
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out)], check=True, timeout=60)
    return [Image.open(p).convert("RGB") for p in sorted(out.parent.glob(out.name + "*.png"))]


def _ink(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Share of non-white pixels in a region."""
    region = img.crop(box).convert("L")
    hist = region.histogram()
    return 1 - sum(hist[235:]) / max(1, sum(hist))


def _near(color, target, tol=40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(color, target, strict=True))


def _download(page, selector: str, dest: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(dest)
    return dest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_organizer_and_attendee_journey(phone, org, tmp_path):
    if shutil.which("pdftoppm") is None:  # pragma: no cover - CI installs poppler-utils
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    base = f"{phone.base}/o/{org.slug}/community"

    # 1. Organizer creates a gathering (no account) and lands on the private management page.
    phone.goto(f"{base}/")
    phone.click("text=Plan a gathering")
    phone.fill("input[name=title]", "Beyond the 15th Hour")
    phone.check("input[name=format][value=in_person]")
    phone.fill("input[name=start_date]", (timezone.now() + timedelta(days=9)).date().isoformat())
    phone.fill("input[name=start_time]", "18:30")
    phone.fill("input[name=place]", "Library room 3")
    phone.check("input[name=audience][value=mixed]")
    phone.fill("input[name=state]", "CA")
    phone.fill("input[name=notes_for]", "ER night shift")
    phone.fill("input[name=donation_url]", "https://bit.ly/LornaBreenGiving")
    phone.fill("input[name=pledge_goal]", "500")
    phone.click("button[type=submit]:has-text('Create gathering')")
    phone.wait_for_selector("text=Your private link")
    link = phone.locator("[data-testid=manage-link]").inner_text().strip()
    assert "/community/manage/#" in link
    # Opening the private link: app.js posts the token from after "#"; the page it lands on has none.
    phone.goto(link)
    phone.wait_for_selector("text=Invite people")
    manage_url = phone.url
    assert "/community/manage/gathering/" in manage_url and link.split("#")[1] not in manage_url
    event = Event.objects.get()
    public_url = phone.locator(".access-code a").get_attribute("href")
    assert str(event.pk) in public_url

    # 2. An attendee RSVPs with only a nickname and a head count.
    phone.goto(public_url)
    phone.fill("input[name=nickname]", "Ana")
    phone.fill("input[name=party_size]", "2")
    phone.click("button:has-text('RSVP')")
    phone.wait_for_selector("text=You're on the list")
    assert Rsvp.objects.get().party_size == 2

    # 3. Pledges: a toolkit tier and another amount; total and progress bar update.
    phone.check("input[name=tier][value=champion-of-confidentiality]")
    phone.fill("input[name=display_name]", "Ana")
    phone.click("button:has-text('Record my pledge')")
    phone.wait_for_selector("text=Thank you for your pledge")
    phone.check("input[name=tier][value=other]")
    phone.fill("input[name=other_amount]", "30")
    phone.click("button:has-text('Record my pledge')")
    phone.wait_for_selector("text=pledged by 2 people")
    assert phone.locator("progress.pledge-progress").get_attribute("value") == "250"
    assert phone.locator("progress.pledge-progress").get_attribute("max") == "500"
    assert phone.locator("text=$250").count() >= 1
    assert sorted(Pledge.objects.values_list("amount", flat=True)) == [30, 220]

    # 4. Organizer downloads the facilitator packet and the note cards.
    phone.goto(manage_url)
    assert phone.locator("text=2 people coming").count() == 1
    packet = _download(phone, "a:has-text('Download facilitator packet')", tmp_path / "packet.pdf")
    cards = _download(phone, "a:has-text('Download note cards')", tmp_path / "cards.pdf")

    packet_pages = _render(packet, tmp_path / "packet")
    assert len(packet_pages) >= 4
    for img in packet_pages:
        assert img.height > img.width  # US Letter portrait
        assert _ink(img, (0, 0, img.width, img.height)) > 0.01  # every page carries text
    packet_text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(packet.read_bytes())).pages).split()
    )
    assert "Beyond the 15th Hour" in packet_text and "Library room 3" in packet_text
    assert "For health workers: How might we commit to checking in on one another?" in packet_text
    assert (
        "For non-health workers: How might we commit to supporting our health workers?"
        in packet_text
    )
    assert "From discussion to action" in packet_text and "988" in packet_text

    card_pages = _render(cards, tmp_path / "cards")
    assert len(card_pages) == 3
    outside = card_pages[1]
    w, h = outside.size
    assert abs(w / h - 11 / 8.5) < 0.02  # US Letter landscape
    assert _near(
        outside.getpixel((3 * w // 4, h // 8)), TEAL
    )  # front panel (right half) is the card's colour
    assert _near(
        outside.getpixel((w // 4, h // 8)), (255, 255, 255), 5
    )  # back panel (left half) is plain
    inside = card_pages[2]
    assert _ink(inside, (0, 0, w // 2, h)) > 0.005  # printed message on the left
    assert _ink(inside, (w // 2 + 5, 0, w, h)) > 0.005  # writing lines on the right
    cards_text = [
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(cards.read_bytes())).pages
    ]
    assert "Writing prompts" in cards_text[0]
    assert "Thank you" in cards_text[1] and "ER night shift" in cards_text[1]
    assert "You spend your days caring for everyone else" in cards_text[2]

    # 5. Social composer: a heavy theme without a resource warns (live, through htmx) until one is added.
    phone.goto(f"{base}/social/")
    phone.fill("textarea[name=text]", "That suicide storyline in #ThePitt hit me hard.")
    phone.keyboard.press("End")
    phone.wait_for_selector("#result .warning:has-text('Add a resource to this post.')")
    phone.select_option("select[name=resource]", "988")
    phone.wait_for_selector("#result .ok")
    assert phone.locator("#result .warning").count() == 0
    assert "https://988lifeline.org" in phone.locator("#final-post").input_value()

    assert phone.problems == []  # no console errors or CSP violations on any page
