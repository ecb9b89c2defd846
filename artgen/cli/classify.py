"""``artgen classify train DIR`` and ``artgen classify predict MODEL IMAGE...``: the image classifier lab."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

from artgen.cli import preflight
from artgen.cli.common import note, quiet_backend_import, result_console
from artgen.cli.engine import cluster, run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.errors import InputError
from artgen.jobs.predict_job import PredictConfig
from artgen.labs.classify.config import ClassifyConfig

if TYPE_CHECKING:
    from artgen.labs.classify.train import ClassifyResult

NAME = "classify"
HELP = "train an image classifier on class folders, or classify images with one"
DESCRIPTION = (
    "Train a classifier on a folder with one sub-folder of images per class (like rock/ paper/\n"
    "scissors/), then classify new images with it. Images of 64 px and more train a head on the\n"
    "bundled ImageNet VGG16 (transfer learning); smaller ones a small CNN from scratch. Training\n"
    "reports accuracy, validation accuracy, per-class precision/recall/F1, the confusion matrix\n"
    "and the most confused classes, and writes a run directory with model.keras, its class\n"
    "names, metrics.csv, curves.png and confusion.png. Nothing is mirrored unless --flip says so."
    "\n\n"
    "Cost, measured on a 2-core CPU as CPU time over the 2 cores, about an idle machine's time\n"
    "(docs/benchmarks.md): 5 emoji classes at 64 px on VGG16, 0.2 min; scikit-learn's digits at 32 px\n"
    "on the small CNN, 0.9 min; 10,000 Fashion-MNIST images at 28 px, 4.5 min. Not measured on a GPU."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen classify train photos/                      the images' own size, VGG16 from 64 px up\n"
    "  artgen classify train rps/ --preset rps -o rps.keras   the rock-paper-scissors recipe\n"
    "  artgen classify train photos/ --fine-tune          then train VGG16's last block too\n"
    "  artgen classify train digits/ --base none --epochs 40\n"
    "  artgen classify predict rps.keras hand1.jpg hand2.png\n"
    "  artgen classify predict runs/classify-rps-20261123-101500 *.jpg --json\n\n"
    "Run 'artgen classify train --help' or 'artgen classify predict --help' for their options."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    train = actions.add_parser(
        "train",
        help="train a classifier on DIR/<class>/ images",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(train, ClassifyConfig)
    add_history_flag(train)
    predict = actions.add_parser(
        "predict",
        help="classify images with a trained model",
        description="Print the three likeliest classes and their probabilities for each IMAGE.",
        epilog="Examples:\n  artgen classify predict rps.keras hand.jpg\n"
        "  artgen classify predict runs/classify-rps-20261123-101500 a.png b.png --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(predict, PredictConfig)
    predict.add_argument("--json", action="store_true", help="print JSON with every class's probability")
    parser.set_defaults(classify_parser=parser)


def run(args: argparse.Namespace) -> int:
    if args.action == "train":
        return _train(args)
    if args.action == "predict":
        return _predict(args)
    args.classify_parser.print_help()
    return 2


def config_from_args(args: argparse.Namespace) -> ClassifyConfig:
    """The config for the typed flags; a --preset fills in only what was not typed.

    The merged values are the whole story (config.json records them), so the
    config gets no preset name to apply a second time over typed defaults.
    """
    given = typed(args, ClassifyConfig)
    if preset := given.pop("preset", None):
        given = {**ClassifyConfig.preset_values(preset), **given}
    return ClassifyConfig(**given)


def _train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    preflight.check(config)
    result = run_engine(args, "classify", config, ("loss", "accuracy", "val_loss", "val_accuracy"))
    out = result_console()
    out.print(_scores_table(result))
    out.print(_confusion_table(result.classes, result.confusion))
    if result.most_confused:
        pairs = "; ".join(
            f"{pair.true} taken for {pair.predicted} {pair.count}x ({pair.share:.0%})"
            for pair in result.most_confused
        )
        out.print(f"most confused: {pairs}", highlight=False)
    out.print(
        f"accuracy {result.accuracy:.4f}  validation accuracy {result.val_accuracy:.4f}  "
        f"({result.size}px, {'VGG16 transfer' if result.base == 'vgg16' else 'small CNN'}, "
        f"{result.train_count} training / {result.val_count} validation images, {result.epochs} epochs, "
        f"stopped by {result.stop_reason}"
        + (f", {result.skipped} unusable files skipped" if result.skipped else "")
        + ")",
        highlight=False,
    )
    model = result.output_path or result.model_path
    out.print(f"run directory: {result.run_dir}", markup=False, highlight=False)
    out.print(f"model: {model}", markup=False, highlight=False)
    out.print(f"plots: {result.curves_png}, {result.confusion_png}", markup=False, highlight=False)
    note(f"try: artgen classify predict {model} IMAGE")
    return 130 if result.stopped else 0


def _scores_table(result: ClassifyResult) -> Table:
    table = Table(title="validation split", title_justify="left")
    for column in ("class", "precision", "recall", "F1", "images"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for score in result.scores:
        table.add_row(
            score.name, f"{score.precision:.3f}", f"{score.recall:.3f}", f"{score.f1:.3f}", str(score.support)
        )
    return table


def _confusion_table(classes: Sequence[str], matrix: Sequence[Sequence[int]]) -> Table:
    table = Table(title="confusion matrix (rows: true class, columns: predicted)", title_justify="left")
    table.add_column("true \\ predicted")
    for name in classes:
        table.add_column(name, justify="right")
    for true, (name, row) in enumerate(zip(classes, matrix, strict=True)):
        table.add_row(
            name,
            *(
                f"[bold]{count}[/]" if true == predicted else str(count)
                for predicted, count in enumerate(row)
            ),
        )
    return table


def _predict(args: argparse.Namespace) -> int:
    if cluster(args):  # its table is of every image's classes: the studio's predict job keeps counts
        raise InputError("classify predict runs on this machine; leave out --cluster ($ARTGEN_RAY_ADDRESS)")
    config = PredictConfig(**typed(args, PredictConfig))
    preflight.classifier(config.model, config.images)
    with quiet_backend_import(config.backend):
        from artgen.labs.classify import predict

    predictions = predict(config.model, config.images, batch_size=config.batch_size)
    if args.json:
        print(json.dumps([dataclasses.asdict(p) for p in predictions], indent=2))
        return 0
    table = Table()
    table.add_column("image")
    table.add_column("class")
    table.add_column("probability", justify="right")
    table.add_column("runners-up")
    for prediction in predictions:
        others = ", ".join(f"{label} {probability:.3f}" for label, probability in prediction.top[1:])
        table.add_row(prediction.path, prediction.label, f"{prediction.probability:.3f}", others)
    result_console().print(table)
    return 0
