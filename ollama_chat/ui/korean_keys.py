"""Slash commands typed with the Korean two-set (두벌식) keyboard layout still on: `/ㅗ디ㅔ` is `/help`. Pure."""

from __future__ import annotations


_KEYS = dict(zip("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡㅃㅉㄸㄲㅆㅒㅖ", "qwertyuiopasdfghjklzxcvbnmQWERTOP"))
_KEYS.update({"ㅘ": "hk", "ㅙ": "ho", "ㅚ": "hl", "ㅝ": "nj", "ㅞ": "np", "ㅟ": "nl", "ㅢ": "ml",  # compound vowels
              "ㄳ": "rt", "ㄵ": "sw", "ㄶ": "sg", "ㄺ": "fr", "ㄻ": "fa", "ㄼ": "fq", "ㄽ": "ft", "ㄾ": "fx",
              "ㄿ": "fv", "ㅀ": "fg", "ㅄ": "qt"})  # final clusters
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or char in _KEYS


def from_korean_keys(word: str) -> str:
    """`word` as the QWERTY keys that typed it with the two-set (두벌식) Korean layout on: `/ㅗ디ㅔ` -> `/help`,
    `/ㅠㅛㄷ` -> `/bye`. Syllables are split into their jamo first (compound vowels and final clusters into
    their two keys); other characters stay as they are. Shifted jamo (ㅃ, ㅒ, ...) give capitals."""
    keys = []
    for char in word:
        if "\uac00" <= char <= "\ud7a3":
            index = ord(char) - 0xAC00
            jamo = _INITIALS[index // 588] + _MEDIALS[index % 588 // 28] + _FINALS[index % 28]
        else:
            jamo = char
        keys.extend(_KEYS.get(j, j) for j in jamo)
    return "".join(keys)
