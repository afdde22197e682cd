"""Persona files: parsing good and broken files, finding them, listing them."""

import pytest

from ollama_chat.chat.personas import (
    BUILTIN,
    Example,
    PersonaError,
    builtin_files,
    list_personas,
    load_persona,
    parse_persona,
    read_persona_file,
)

GOOD = """+++
description = "테스트 페르소나"
model = "qwen3:8b"
format = "json"
think = "low"
keep_alive = "10m"

[options]
temperature = 0.3
num_ctx = 8192
stop = ["###"]

[[examples]]
user = "오늘 정말 기분이 좋아요!"
assistant = "긍정"

[[examples]]
user = "비가 와서 우울해요."
assistant = "부정"
+++
사용자의 문장을 감정으로 분류하세요.
"""


def test_full_header():
    p = parse_persona(GOOD, "t", "/x/t.md")
    assert p.system == "사용자의 문장을 감정으로 분류하세요."
    assert (p.description, p.model, p.format, p.think, p.keep_alive) == ("테스트 페르소나", "qwen3:8b", "json", "low", "10m")
    assert p.options == {"temperature": 0.3, "num_ctx": 8192, "stop": ["###"]}
    assert p.examples == (Example("오늘 정말 기분이 좋아요!", "긍정"), Example("비가 와서 우울해요.", "부정"))
    assert p.source == "/x/t.md"


def test_no_header_is_all_prompt_and_schema_table_format():
    assert parse_persona("\ufeff당신은 스님입니다.\n", "m").system == "당신은 스님입니다."
    p = parse_persona('+++\n[format]\ntype = "object"\n[format.properties.a]\ntype = "string"\n+++\nhi', "s")
    assert p.format == {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("+++\ndescription = 'x'\nbody without end\n", 1, "never closed"),
        ("+++\ndescription = 'x'\nmodle = 'y'\n+++\nbody", 3, "unknown header key 'modle'"),
        ("+++\ndescription = 'x'\n\n[options]\ntemprature = 0.5\n+++\nbody", 5, "Did you mean 'temperature'"),
        ("+++\n[options]\ntop_p = 1.5\n+++\nbody", 3, "between 0 and 1"),
        ("+++\n[options]\ntop_k = -1\n+++\nbody", 3, "between 1 and 2,147,483,647"),
        ("+++\ndescription = 'x'\nformat = 'yaml'\n+++\nbody", 3, "'format' must be"),
        ("+++\nthink = 'max'\n+++\nbody", 2, "'think' must be"),
        ("+++\ndescription = 3\n+++\nbody", 2, "'description' must be a string"),
        ("+++\ndescription = 'x'\nmodel = = 'y'\n+++\nbody", 3, "invalid TOML"),
        ("+++\ndescription = 'x'\nmodel =\n+++\nbody", 3, "invalid TOML"),
        ("+++\n[[examples]]\nuser = 'a'\n+++\nbody", 2, "example 1 must have exactly two strings"),
    ],
)
def test_broken_headers_name_the_file_and_line(text, line, words):
    with pytest.raises(PersonaError) as e:
        parse_persona(text, "b", "/home/me/b.md")
    assert f"/home/me/b.md, line {line}:" in e.value.message
    assert words in e.value.message
    assert e.value.exit_code == 2


def test_builtins_parse_and_are_korean():
    files = builtin_files()
    assert {"assistant", "monk", "coder", "classifier", "sentiment", "reviewer", "librarian"} <= set(files)
    for name, path in files.items():
        p = read_persona_file(path, name, BUILTIN)
        assert p.description and p.system, name
    monk = load_persona("monk", user_dir=files["monk"].parent / "nonexistent")
    assert "75세의 불교 스님" in monk.system and monk.source == BUILTIN
    assert load_persona("classifier", files["monk"].parent / "nonexistent").format == "json"
    assert len(load_persona("sentiment", files["monk"].parent / "nonexistent").examples) == 2


def test_user_folder_overrides_builtin_and_paths_load(tmp_path):
    (tmp_path / "monk.md").write_text("+++\ndescription = '내 스님'\n+++\n나만의 스님", encoding="utf-8")
    (tmp_path / "pirate.md").write_text("Arr.", encoding="utf-8")
    assert load_persona("monk", tmp_path).system == "나만의 스님"
    assert load_persona("pirate", tmp_path).source == str(tmp_path / "pirate.md")
    assert load_persona(str(tmp_path / "pirate.md"), tmp_path / "elsewhere").system == "Arr."
    infos = {i.name: i for i in list_personas(tmp_path)}
    assert infos["monk"].overrides_builtin and infos["monk"].description == "내 스님"
    assert infos["coder"].source == BUILTIN and infos["pirate"].description == ""


def test_bad_names_and_missing_files(tmp_path):
    with pytest.raises(PersonaError, match="not a persona name") as e:
        load_persona("..monk", tmp_path)
    assert "monk" in e.value.hint
    with pytest.raises(PersonaError, match="no persona named '스님'"):
        load_persona("스님", tmp_path)
    with pytest.raises(PersonaError, match="Did you mean monk"):
        load_persona("mnok", tmp_path)
    with pytest.raises(PersonaError, match="no persona named 'nope'") as e:
        load_persona("nope", tmp_path)
    assert "coder" in e.value.hint
    with pytest.raises(PersonaError, match="does not exist"):
        load_persona(str(tmp_path / "missing.md"), tmp_path)


def test_non_utf8_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "latin.md"
    path.write_bytes("+++\ndescription = 'x'\n+++\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(PersonaError, match=r"latin.md, line 4: the file is not UTF-8"):
        load_persona(str(path), tmp_path)


def test_hangul_names_in_either_unicode_form(tmp_path):
    import unicodedata

    (tmp_path / "할머니.md").write_text("할머니 프롬프트", encoding="utf-8")
    (tmp_path / unicodedata.normalize("NFD", "선생님.md")).write_text("선생님 프롬프트", encoding="utf-8")  # as macOS writes it
    (tmp_path / "no good.md").write_text("x", encoding="utf-8")
    assert load_persona("할머니", tmp_path).system == "할머니 프롬프트"
    assert load_persona("선생님", tmp_path).system == "선생님 프롬프트"
    names = [i.name for i in list_personas(tmp_path)]
    assert "할머니" in names and "선생님" in names and "no good" not in names


def test_windows_line_ends_and_a_bom_are_fine(tmp_path):
    path = tmp_path / "win.md"
    path.write_bytes("\ufeff+++\r\ndescription = '윈도우'\r\n[options]\r\nseed = 1\r\n+++\r\n첫 줄\r\n둘째 줄\r\n".encode())
    persona = load_persona(str(path), tmp_path)
    assert (persona.description, dict(persona.options), persona.system) == ("윈도우", {"seed": 1}, "첫 줄\n둘째 줄")


def test_special_files_are_refused(tmp_path):
    import os

    os.mkfifo(tmp_path / "fifo.md")
    with pytest.raises(PersonaError, match="not a regular file"):
        load_persona(str(tmp_path / "fifo.md"), tmp_path)
    with pytest.raises(PersonaError, match="a folder"):
        (tmp_path / "dir.md").mkdir()
        load_persona(str(tmp_path / "dir.md"), tmp_path)
