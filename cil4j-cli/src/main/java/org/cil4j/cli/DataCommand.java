package org.cil4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cil4j.data.DataFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cil data fetch NAME} downloads an official dataset archive; {@code cil data export} writes images as PNG. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Manage datasets.",
        subcommands = {DataCommand.Fetch.class, DataCommand.Export.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Downloads and checks an official archive. */
    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = "Download cifar10, cifar100 or fashion-mnist from the official site and verify checksums.")
    public static final class Fetch implements Callable<Integer> {
        @Parameters(index = "0", description = "cifar10, cifar100 or fashion-mnist")
        String name;

        @Option(names = "--dir", description = "target folder (default: $CIL4J_DATA/NAME or ~/.cache/cil4j/data/NAME)")
        Path dir;

        @Override
        public Integer call() {
            Path target = dir == null ? DataFetcher.defaultDir(name) : dir;
            Path got = new DataFetcher().fetch(name, target);
            System.out.println(name + " is ready in " + got);
            return 0;
        }
    }

    /** Writes images of a dataset as PNG files, one folder per class (to upload to {@code cil serve}). */
    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            description = "Write images of a dataset as PNG files in OUT/<class>/, e.g. to upload them to 'cil serve'.")
    public static final class Export implements Callable<Integer> {
        @Parameters(index = "0", description = "dataset name (see 'cil datasets')")
        String name;

        @Option(names = "--out", required = true, description = "target folder")
        Path out;

        @Option(names = "--split", defaultValue = "train", description = "train or test (default: ${DEFAULT-VALUE})")
        String split;

        @Option(
                names = "--per-class",
                defaultValue = "100",
                description = "images per class (default: ${DEFAULT-VALUE})")
        int perClass;

        @Option(names = "--classes", split = ",", description = "class names to export (default: all)")
        java.util.List<String> classes;

        @Option(names = "--data-dir", description = "folder holding the dataset")
        Path dataDir;

        @Override
        public Integer call() throws java.io.IOException {
            if (!split.equals("train") && !split.equals("test")) {
                throw new org.cil4j.CilException("--split must be train or test, not '" + split + "'");
            }
            if (perClass < 1) {
                throw new org.cil4j.CilException("--per-class must be at least 1");
            }
            org.cil4j.data.Datasets.TrainTest tt = org.cil4j.data.Datasets.load(name, dataDir);
            org.cil4j.data.ImageDataset d = split.equals("train") ? tt.train() : tt.test();
            java.util.List<String> names = d.classNames();
            if (classes != null) {
                for (String c : classes) {
                    if (!names.contains(c)) {
                        throw new org.cil4j.CilException(
                                "--classes: " + name + " has no class '" + c + "'; it has " + names);
                    }
                }
            }
            int[] written = new int[names.size()];
            int total = 0;
            for (int i = 0; i < d.size(); i++) {
                int y = d.label(i);
                if (written[y] >= perClass || (classes != null && !classes.contains(names.get(y)))) {
                    continue;
                }
                Path dir = out.resolve(names.get(y).replaceAll("[^A-Za-z0-9._-]", "_"));
                java.nio.file.Files.createDirectories(dir);
                javax.imageio.ImageIO.write(
                        org.cil4j.data.ImageBytes.image(d, i),
                        "png",
                        dir.resolve(String.format("%05d.png", written[y])).toFile());
                written[y]++;
                total++;
            }
            System.out.println("wrote " + total + " PNG images of " + name + " (" + split + ") into " + out);
            return 0;
        }
    }
}
