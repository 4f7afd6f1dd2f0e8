"""The docs site, built from the notebooks as `make docs` builds it, served on 127.0.0.1 and read in headless
Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium).

Without Chromium the module is skipped and says why, unless ECG_NB_REQUIRE_BROWSER is set (as in CI), when
that is an error. Screenshots go to the test's temporary folder, or to $ECG_NB_SCREENSHOTS when set.
"""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')
if not (CHROMIUM and CHROMEDRIVER):
    why = 'Chromium and chromedriver are not installed (Debian: apt install chromium chromium-driver)'
    if os.environ.get('ECG_NB_REQUIRE_BROWSER'): raise RuntimeError(why)
    pytest.skip(why, allow_module_level=True)

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

API_NAMES = ('detect_r_peaks', 'build_model', 'make_folds', 'RunConfig', 'Metrics')
CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=1400,1000')


def expected_pages():
    "Each notebook's page, title and number of figures, read from the notebooks themselves."
    pages = {}
    for path in sorted((ROOT/'nbs').glob('*.ipynb')):
        nb = nbformat.read(path, as_version=4)
        title = next(re.match(r'#\s+(.+)', c.source)[1].strip() for c in nb.cells
                     if c.cell_type == 'markdown' and c.source.startswith('# '))
        shown = [c for c in nb.cells if c.cell_type == 'code' and not re.search(
            r'^#\|\s*(hide|include:\s*false|output:\s*false|export)', c.source, re.M)]
        figures = sum(1 for c in shown for o in c.outputs
                      if 'image/png' in o.get('data', {}) or 'image/jpeg' in o.get('data', {}))
        page = 'index' if path.stem == 'index' else re.sub(r'^\d+[a-zA-Z0-9]*_', '', path.stem)  # nbdev's rule: 00a_signals -> signals
        pages[f'{page}.html'] = (title, figures)
    return pages


PAGES = expected_pages()


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built into a temporary folder with the command `make docs` runs, served on 127.0.0.1."
    out = tmp_path_factory.mktemp('site')/'_docs'
    build = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--out', str(out)],
                           cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_port}/'
    server.shutdown()


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS: options.add_argument(flag)
    options.add_argument(f'--user-data-dir={tmp_path_factory.mktemp("chromium-profile")}')  # a fresh profile
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope='module')
def screenshots(tmp_path_factory):
    folder = Path(os.environ.get('ECG_NB_SCREENSHOTS') or tmp_path_factory.mktemp('screenshots'))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, url):
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda b: b.execute_script('return document.readyState') == 'complete')


def screenshot(browser, path, tries=3):
    "Save a screenshot, trying again if Chromium's capture times out (seen once on a busy CI machine)."
    for attempt in range(tries):
        try: return browser.save_screenshot(str(path))
        except TimeoutException:
            if attempt == tries - 1: raise
            time.sleep(2)


def heading(browser):
    return browser.find_element(By.CSS_SELECTOR, 'article h1').text.strip()


def test_every_notebook_has_a_page():
    assert {'index.html', 'data.html', 'signals.html', 'segment.html', 'model.html', 'kfold.html', 'eval.html',
            'predict.html', 'api.html', 'reproduce.html'} <= set(PAGES)
    assert sum(figures for _, figures in PAGES.values()) >= 5  # the chapters' figures are in the notebooks


@pytest.mark.parametrize('page', list(PAGES))
def test_page_renders_with_its_figures(site, browser, page):
    title, figures = PAGES[page]
    open_page(browser, site + page)
    assert heading(browser) == title
    images = browser.find_elements(By.CSS_SELECTOR, 'article img')
    for image in images:  # figures load lazily, when scrolled into view
        browser.execute_script('arguments[0].scrollIntoView()', image)
        WebDriverWait(browser, 20).until(lambda b: b.execute_script('return arguments[0].complete', image))
    loaded = [(i.get_attribute('src'), browser.execute_script('return arguments[0].naturalWidth', i)) for i in images]
    assert len(images) == figures, f'{page}: {len(images)} figures on the page, {figures} in the notebook'
    assert all(width > 0 for _, width in loaded), f'{page}: figures that did not load: {loaded}'
    # directives may be named in prose as inline code (the contributing page does); anywhere else they are leaks
    text = browser.execute_script(
        "const a = document.querySelector('article').cloneNode(true);"
        "a.querySelectorAll('code').forEach(c => { if (!c.closest('pre')) c.remove(); });"
        "return a.textContent;")
    for raw in ('#| export', '#| hide', 'Traceback (most recent call last)', 'Error in notebook'):
        assert raw not in text, f'{page} shows {raw!r}'
    assert not re.search(r'^\s*#\|', text, re.M), f'{page} shows a directive line'
    assert '#LNone' not in browser.page_source, f'{page} has a source link without a line number'
    # nothing is fetched from outside the site (no web fonts, scripts or images from elsewhere)
    outside = browser.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name).filter(u => !u.startsWith(arguments[0]))", site)
    assert not outside, f'{page} fetched {outside}'


def test_navigation_from_home_to_every_chapter_and_back(site, browser, screenshots):
    open_page(browser, site + 'index.html')
    home_title = PAGES['index.html'][0]
    screenshot(browser, screenshots/'home.png')
    pages = [a.get_attribute('textContent').strip() for a in browser.find_elements(By.CSS_SELECTOR, 'nav.md-nav--primary > ul > li > a.md-nav__link')]
    assert pages[0] == 'Home' and 'ecg_nb' not in pages, pages  # the site's name is the header's, not a page's too
    for page, (title, _) in PAGES.items():
        if page == 'index.html': continue
        link = next(a for a in browser.find_elements(By.CSS_SELECTOR, 'nav.md-nav--primary a.md-nav__link')
                    if a.get_attribute('textContent').strip() == title)
        link.click()
        WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith(page))
        assert heading(browser) == title
        if page == 'segment.html':  # a chapter at its first figure: prose, code and a plot together
            browser.execute_script("document.querySelector('article img').scrollIntoView({block: 'center'})")
            WebDriverWait(browser, 20).until(lambda b: b.execute_script(
                "return document.querySelector('article img').naturalWidth > 0"))
            screenshot(browser, screenshots/'segment.png')
        browser.find_element(By.CSS_SELECTOR, 'a.md-logo').click()  # the site's home link in the header
        WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith('index.html'))
        assert heading(browser) == home_title
    assert (screenshots/'home.png').stat().st_size > 10_000 and (screenshots/'segment.png').stat().st_size > 10_000


def test_api_page_documents_the_main_functions(site, browser):
    open_page(browser, site + 'api.html')
    for name in API_NAMES:
        entry = browser.find_element(By.ID, name.lower())  # MkDocs' anchors are lower case
        assert entry.tag_name == 'h3' and entry.text.strip().startswith(name)
        source = entry.find_element(By.XPATH, 'preceding-sibling::p[1]//a').get_attribute('href')
        assert re.search(r'/ecg_nb/\w+\.py#L\d+$', source), source
        line = int(source.rsplit('#L', 1)[1])
        module_file = ROOT/'ecg_nb'/source.rsplit('/', 1)[1].split('#')[0]
        source_lines = module_file.read_text().splitlines()[line - 1:]
        definition = next(l for l in source_lines if not l.startswith('@'))  # a class's link may point at its decorator
        assert definition.startswith((f'def {name}(', f'class {name}')), source_lines[:3]
    text = browser.find_element(By.TAG_NAME, 'body').text
    assert 'class EcgDataError(ValueError)' in text and 'VAR_POSITIONAL' not in text  # an exception shown as one


@pytest.mark.parametrize('name', API_NAMES)
def test_search_finds_the_api(site, browser, name):
    open_page(browser, site + 'api.html')
    browser.find_element(By.CSS_SELECTOR, 'label.md-search__icon, .md-search__input').click()
    box = browser.find_element(By.CSS_SELECTOR, 'input.md-search__input')
    box.send_keys(name)
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, '.md-search-result__item'))
    targets = [a.get_attribute('href') for a in browser.find_elements(By.CSS_SELECTOR, '.md-search-result__link')]
    assert any(re.search(rf'/api\.html(\?[^#]*)?#{name.lower()}$', t) for t in targets), targets  # ?h= highlights the term


def test_home_page_gives_the_full_runs_and_links_their_reports(site, browser):
    open_page(browser, site + 'index.html')
    table = browser.find_element(By.XPATH, "//table[.//th[normalize-space()='protocol']]").text
    published = sorted((ROOT/'results').glob('*/evaluation/metrics.json'))
    assert published, 'no published run in results/'
    for path in published:
        summary = json.loads(path.read_text())
        assert summary['protocol'] in table
        assert f"{summary['mean']['accuracy']:.2%}" in table
    link = browser.find_element(By.XPATH, "//a[normalize-space()='report' and contains(@href, 'stratified10')]")
    link.click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith('results/stratified10/report.html'))
    accuracy = json.loads((ROOT/'results'/'stratified10'/'evaluation'/'metrics.json').read_text())['mean']['accuracy']
    assert f'{accuracy:.2%}' in browser.find_element(By.TAG_NAME, 'body').text


def test_home_page_and_readme_give_the_shipped_models_measured_figures(site, browser):
    "The figures the shipped model's card states (05_predict measures them) are those of the home page and README."
    import re
    from ecg_nb.predict import load_predictor
    measured = load_predictor().measured
    figures = [re.search(pattern, measured).groups() for pattern in
               (r'accuracy (\d+\.\d)%', r'S Se/\+P (\d+\.\d)%/(\d+\.\d)%', r'V Se/\+P (\d+\.\d)%/(\d+\.\d)%')]
    expected = [f'{figures[0][0]}%', f'{figures[1][0]} / {figures[1][1]}', f'{figures[2][0]} / {figures[2][1]}']
    open_page(browser, site + 'index.html')
    row = browser.find_element(By.XPATH, "//table[.//th[contains(normalize-space(), 'inter-patient')]]"
                                         "//tr[contains(normalize-space(), 'detected R peaks')]").text
    assert all(e in row for e in expected), (row, expected)
    readme_row = next(l for l in (ROOT/'README.md').read_text().splitlines() if l.startswith('| **ecg_nb predict, detected R peaks**'))
    assert all(e in readme_row for e in expected), (readme_row, expected)
