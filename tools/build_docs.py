"""Build the docs site from nbs/ where Quarto is not installed (`make docs` picks this path then).

nbdev processes the notebooks exactly as it does for Quarto (`nbdev.serve.proc_nbs` into `_proc/`: `show_doc`
rendered, `#| hide` and exported cells gone, other directives turned into Quarto cell options). This script
then turns each processed notebook into a Markdown page, honouring those cell options, and MkDocs with the
Material theme renders the pages into `_docs/`. Page order and titles come from the same place as on the
Quarto path: nbdev's `sidebar.yml` and each notebook's front matter. Nothing is fetched from the network
while building or while reading the site.

Where `quarto` is on the PATH, the standard nbdev build runs instead (`nbdev_docs`, driven by
`nbs/_quarto.yml`); `--renderer` picks one explicitly.

Usage: python tools/build_docs.py [--out _docs] [--renderer auto|quarto|mkdocs]
"""
import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from ecg_nb.data import MARKER, EcgDataError, atomic_path, check_outputs, replaceable_folder

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
DIRECTIVE = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')
FENCE = '```'


class DocsError(Exception): pass


def cell_options(source):
    "Quarto cell options (`#| key: value` lines at the top) and the code without them."
    lines, options = source.splitlines(), {}
    while lines and DIRECTIVE.match(lines[0]):
        key, value = DIRECTIVE.match(lines.pop(0)).groups()
        options[key] = value.lower()
    return options, '\n'.join(lines).strip('\n')


def fenced(text, lang=''):
    "A fenced code block long enough not to be closed by backticks inside `text`."
    fence = FENCE + '`' * max([len(m) - 2 for m in re.findall(r'`{3,}', text)] + [0])
    return f'{fence}{lang}\n{text.rstrip()}\n{fence}'


class PageWriter:
    "Turns one processed notebook into Markdown, writing its figures beside it."

    def __init__(self, site_src, link_map, doc_url):
        self.site_src, self.link_map, self.doc_url = site_src, link_map, doc_url

    def links(self, md):
        "Links to the published site or to a notebook become links to the page in this build."
        parts = re.split(r'(^```.*?^```)', md, flags=re.M | re.S)
        return ''.join(self._code_links(p) if p.startswith('```') else self._text_links(p) for p in parts)

    def _text_links(self, md):
        md = re.sub(re.escape(self.doc_url) + r'(\w+)\.html', lambda m: m[1] + '.md', md)
        return re.sub(r'\]\((?:\./)?([\w-]+)\.ipynb(#[\w-]+)?\)',
                      lambda m: f']({self.link_map.get(m[1], m[1])}.md{m[2] or ""})', md)

    @staticmethod
    def _code_links(code):
        "In code, nbdev's Markdown links (in show_doc signatures) would show as raw text: keep the names."
        return re.sub(r'\[`([^`\]]+)`\]\([^)\s]+\)', r'\1', code)

    def output(self, out, asis, page, figure_no):
        "Markdown for one cell output."
        if out.output_type == 'error':
            raise DocsError(f'{out.ename}: {out.evalue}')
        if out.output_type == 'stream':
            text = ANSI.sub('', out.text)
            if out.name == 'stderr' and not text.strip(): return ''
            return self.links(text) if asis else fenced(text, 'text')
        data = out.get('data', {})
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg')):
            if mime in data:
                figure_no[0] += 1
                name = f'{page}_files/figure-{figure_no[0]}.{ext}'
                (self.site_src/name).parent.mkdir(parents=True, exist_ok=True)
                (self.site_src/name).write_bytes(base64.b64decode(data[mime]))
                return f'![Figure {figure_no[0]}]({name}){{ .nb-figure loading=lazy }}'
        if 'image/svg+xml' in data: return f'<div class="nb-output">{data["image/svg+xml"]}</div>'
        if 'text/markdown' in data: return self.links(data['text/markdown'])
        if 'text/html' in data: return f'<div class="nb-output nb-html" markdown="0">\n{data["text/html"].strip()}\n</div>'
        if 'text/plain' in data:
            text = ANSI.sub('', data['text/plain'])
            return self.links(text) if asis else fenced(text, 'text')
        return ''

    def page(self, nb, page):
        "The Markdown of a processed notebook: title, description, then its cells in order."
        parts, figure_no = [], [0]
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == 'raw' and cell.source.startswith('---'):
                front = yaml.safe_load(cell.source.strip().strip('-')) or {}
                parts.append(f'# {front.get("title", page)}')
                if front.get('description'):
                    parts.append(f'<p class="nb-description" markdown="span">{front["description"]}</p>')
                continue
            if cell.cell_type == 'markdown':
                if cell.source.startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
                parts.append(self.links(cell.source))
                continue
            if cell.cell_type != 'code': continue
            options, code = cell_options(cell.source)
            if options.get('include') == 'false': continue
            if options.get('echo') != 'false' and code:
                parts.append(fenced(code, 'python'))
            if options.get('output') == 'false' or options.get('eval') == 'false': continue
            asis = options.get('output') == 'asis'
            for out in cell.get('outputs', []):
                try: md = self.output(out, asis, page, figure_no)
                except DocsError as e: raise DocsError(f'{page}: cell {i} has an error output ({e}); '
                                                        'a page must not show a traceback') from None
                if not md: continue
                # printed or displayed Markdown (tables, show_doc) is part of the page; other outputs are set off
                plain = asis or 'text/markdown' in out.get('data', {})
                parts.append(md if plain else f'<div class="nb-output-block" markdown>\n\n{md}\n\n</div>')
        return '\n\n'.join(parts) + '\n'


def sidebar_files(nbs):
    "The notebooks in nbdev's sidebar order (the order Quarto's sidebar uses), from sidebar.yml."
    from nbdev.quarto import nbdev_sidebar
    sidebar = nbs/'sidebar.yml'
    existed = sidebar.exists()
    nbdev_sidebar(path=str(nbs), force=True)
    contents = yaml.safe_load(sidebar.read_text())['website']['sidebar']['contents']
    if not existed: sidebar.unlink()  # generated for this build only; nbs/ stays as the commit has it
    def flat(items):
        for item in items:
            if isinstance(item, str): yield item
            else: yield from flat(item.get('contents', []))
    return list(flat(contents))


def mkdocs_config(cfg, nav, site_src):
    "mkdocs.yml for the pages; no web fonts or other remote assets, so the site reads offline."
    return {
        'site_name': cfg.title, 'site_description': cfg.description,
        'site_url': f'{cfg.doc_host}{cfg.doc_baseurl}/',
        # a plain link to the repository: Material's repo_url would fetch star counts from GitHub's API
        'extra': {'social': [{'icon': 'fontawesome/brands/github', 'link': cfg.git_url, 'name': 'ecg_nb on GitHub'}]},
        'copyright': f'Copyright {cfg.copyright}. Code: Apache-2.0; MIT-BIH data: ODC-By 1.0.',
        'docs_dir': str(site_src), 'use_directory_urls': False, 'nav': nav,
        'theme': {'name': 'material', 'font': False,
                  'features': ['navigation.footer', 'navigation.top', 'navigation.tracking', 'toc.follow',
                               'search.highlight', 'search.suggest', 'content.code.copy'],
                  'palette': [{'scheme': 'default', 'primary': 'indigo', 'accent': 'red',
                               'toggle': {'icon': 'material/weather-night', 'name': 'Dark mode'}},
                              {'scheme': 'slate', 'primary': 'indigo', 'accent': 'red',
                               'toggle': {'icon': 'material/weather-sunny', 'name': 'Light mode'}}]},
        'plugins': ['search'],
        'markdown_extensions': ['tables', 'attr_list', 'md_in_html', 'admonition', 'footnotes',
                                {'toc': {'permalink': True}},
                                {'pymdownx.highlight': {'use_pygments': True}}, 'pymdownx.superfences',
                                'pymdownx.inlinehilite'],
        'extra_css': ['styles.css', 'mkdocs.css'],
        'validation': {'links': {'not_found': 'warn', 'anchors': 'warn', 'unrecognized_links': 'warn'}},
    }


EXTRA_CSS = """\
.md-grid { max-width: 1440px; }  /* notebook code and tables are wide; Material's default column is narrow */
/* notebook pages rendered by MkDocs: outputs set off from code as on the Quarto site */
.nb-description { font-size: 1.15em; font-style: italic; opacity: .75; margin-top: -.6em; }
.nb-output-block { border-left: 2px solid lightsalmon; padding-left: .8rem; margin: -.6em 0 1.2em; }
.nb-output-block pre, .nb-output-block code { background: none !important; }
.nb-html { overflow-x: auto; }
.nb-html table.dataframe { font-size: .75rem; border-collapse: collapse; }
.nb-html table.dataframe th, .nb-html table.dataframe td { padding: .2em .6em; text-align: right; }
.nb-html table.dataframe tbody tr:nth-child(odd) { background: var(--md-default-fg-color--lightest); }
img.nb-figure { max-width: 100%; height: auto; }
/* long code lines wrap instead of running under the copy button; the button keeps a margin of its own */
.md-typeset pre > code { white-space: pre-wrap; overflow-wrap: anywhere; padding-right: 2.4em; }
/* on a phone a wide figure would shrink its labels to nothing: keep it legible and let it scroll */
@media screen and (max-width: 44.984375em) {
  .nb-output-block { overflow-x: auto; }
  img.nb-figure { max-width: none; width: 640px; }
}
"""


def build_quarto(root, out):
    "nbdev's own build (Quarto), then the published reports copied in as on the MkDocs path."
    from nbdev.config import get_config
    cfg = get_config(path=root)
    readme = root/'README.md'
    kept = readme.read_bytes()
    try: subprocess.run([str(Path(sys.executable).parent/'nbdev_docs')], cwd=root, check=True)
    except subprocess.CalledProcessError: raise SystemExit('docs: nbdev_docs failed (see the lines above)')
    # nbdev_docs also rewrites README.md from index.ipynb when the notebook is newer; ours is written by hand
    finally:
        if readme.read_bytes() != kept: readme.write_bytes(kept)
    built = cfg.doc_path.resolve()
    if built != out:
        with atomic_path(out) as tmp: shutil.move(built, tmp)
    else: (out/MARKER).write_text('made by ecg_nb: ecg_nb may replace this folder\n')
    copy_results(root, out)
    print(f'docs: {out} (Quarto)')


def build(root, out):
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    cfg = get_config(path=root)
    nbs = cfg.nbs_path
    files = sidebar_files(nbs)
    print(f'processing {len(files)} notebooks with nbdev (proc_nbs)', flush=True)
    cache = Path(proc_nbs(str(nbs), n_workers=0))
    build_dir = root/'_proc'/'_mkdocs'
    shutil.rmtree(build_dir, ignore_errors=True)
    site_src = build_dir/'pages'
    site_src.mkdir(parents=True)
    notebooks = {}
    for name in files:
        nb = nbformat.read(cache/name, as_version=4)
        front = yaml.safe_load(nb.cells[0].source.strip().strip('-')) if nb.cells and nb.cells[0].cell_type == 'raw' else {}
        page = Path(front.get('output-file', name)).stem
        notebooks[Path(name).stem] = (nb, page, front.get('title', page))
    link_map = {stem: page for stem, (_, page, _) in notebooks.items()}
    writer = PageWriter(site_src, link_map, f'{cfg.doc_host}{cfg.doc_baseurl}/')
    nav = []
    for stem, (nb, page, title) in notebooks.items():
        try: md = writer.page(nb, page)
        except DocsError as e: raise SystemExit(f'docs: {e}')
        (site_src/f'{page}.md').write_text(md)
        nav.append({'Home' if page == 'index' else title: f'{page}.md'})  # the site's name is in the header already
    shutil.copy(nbs/'styles.css', site_src/'styles.css')
    (site_src/'mkdocs.css').write_text(EXTRA_CSS)
    copy_results(root, site_src)
    config = build_dir/'mkdocs.yml'
    config.write_text(yaml.safe_dump(mkdocs_config(cfg, nav, site_src), sort_keys=False, allow_unicode=True))
    # Material's end-of-life banner: the contributing page records the date and the way on (Zensical)
    quiet = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}
    # built under a temporary name and swapped in, so that a failed build never leaves half a site behind
    with atomic_path(out) as partial:
        mkdocs = [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet', '-f', str(config), '-d', str(partial)]
        if subprocess.run(mkdocs, env=quiet).returncode: raise SystemExit('docs: mkdocs build failed (see the lines above)')
    print(f'docs: {len(nav)} pages in {out}')


def check_notebooks(nbs):
    "Every notebook must be readable before nbdev processes them (its error would not name the notebook)."
    for path in sorted(nbs.glob('*.ipynb')):
        try: nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as e:
            why = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            raise EcgDataError(f'{path}: not a readable notebook ({type(e).__name__}: {why}); restore it (git checkout)')


def copy_results(root, site_src):
    "The published runs' reports (self-contained HTML) go into the site, so the home page can link to them."
    for report in sorted((root/'results').glob('*/report.html')):
        target = site_src/'results'/report.parent.name/'report.html'
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(report, target)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='_docs', help='the site folder (replaced only when the build succeeds)')
    parser.add_argument('--renderer', choices=['auto', 'quarto', 'mkdocs'], default='auto',
                        help='auto: Quarto (nbdev_docs) where quarto is on the PATH, else MkDocs')
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    out = (root/args.out).resolve()
    quarto = args.renderer == 'quarto' or (args.renderer == 'auto' and shutil.which('quarto'))
    try:
        # before any work: the site folder must not hold the sources, nor be a folder of someone else's
        check_outputs({'--out': out}, {'notebook folder': root/'nbs', 'package': root/'ecg_nb', 'results folder': root/'results',
                                       'tools folder': root/'tools', 'tests folder': root/'tests'}, folders=('--out',))
        for site in {out, root/'_docs'} if quarto else {out}:  # Quarto empties the doc_path itself
            if site.exists() and not (site.is_dir() and replaceable_folder(site)):
                raise EcgDataError(f'--out {site}: not a site folder this build made (no {MARKER} marker) and not empty; '
                                   'the docs build replaces its folder, so move it away or choose another --out')
        check_notebooks(root/'nbs')
        (build_quarto if quarto else build)(root, out)
    except EcgDataError as e: raise SystemExit(f'docs: {e}')
