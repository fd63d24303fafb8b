"""deskcli: a help desk that lives in the shell.

schema.sql, templates/ and glossary/ (the starter synonyms) sit at the top of the source
tree; the build step below copies them into the package, so a plain `pip install .`
gives a working `deskcli`.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


class BuildWithData(build_py):
    """Ship schema.sql, templates/ and glossary/ inside the deskcli package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "deskcli"
        shutil.copy2(HERE / "schema.sql", target / "schema.sql")
        shutil.copytree(HERE / "templates", target / "templates", dirs_exist_ok=True)
        shutil.copytree(HERE / "glossary", target / "glossary", dirs_exist_ok=True)


def version() -> str:
    for line in (HERE / "deskcli" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split('"')[1]
    raise RuntimeError("no __version__")


setup(
    name="deskcli",
    version=version(),
    description="A help desk (工单系统) that lives in the shell; every desk is one SQLite file.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["deskcli", "deskcli.*"]),
    package_data={"deskcli.store.pg": ["*.sql"]},
    cmdclass={"build_py": BuildWithData},
    install_requires=[
        "click>=8.1",
        "jinja2>=3.1",
        "tomli-w>=1.0",
        # a large `ticket import` writes through apsw (deskcli/store/apsw_conn.py)
        "apsw>=3.45",
    ],
    extras_require={
        "test": ["pytest>=8", "aiosmtpd>=1.4", "ruff>=0.6", "wheel", "chinesecalendar>=1.9",
                 "hypothesis>=6.100", "psycopg2-binary>=2.9", "pytest-xdist>=3.5"],
        # a desk on a PostgreSQL server: --db postgresql://USER@HOST/DATABASE
        "postgres": ["psycopg2-binary>=2.9"],
        # China's official holidays and make-up working days: `holiday import --cn YEAR`
        "cn": ["chinesecalendar>=1.9"],
    },
    entry_points={"console_scripts": ["deskcli = deskcli.launch:run"]},
    data_files=[("share/man/man1", ["man/deskcli.1"])],
)
