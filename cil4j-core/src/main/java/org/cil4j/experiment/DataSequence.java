package org.cil4j.experiment;

import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;
import org.cil4j.scenario.ScenarioConfig;

/**
 * Joins the parts of a {@code data.sequence} into one labelled dataset.
 *
 * <p>Each part is loaded through the data source (the dataset registry unless a test injects
 * data), reduced to its classes (relabelled 0..k-1 in the order the part lists them), converted
 * to three channels when {@code data.rgb} is set or when the parts differ in channels, resized
 * to {@code data.imageSize} (required when their sizes differ), and the parts are concatenated:
 * part {@code i}'s classes follow those of parts {@code 0..i-1}. Class names are prefixed with
 * the part's dataset name ("fashion-mnist/Coat").
 *
 * <p>The scenario of a sequence is one task per part: unless {@code scenario.phases} is given,
 * the phases are the parts' class counts, and unless {@code scenario.order} is given, the class
 * order is the joined order (identity); {@code scenario.base}, {@code increment} and {@code
 * orderSeed} are then not used.
 */
public final class DataSequence {
    private DataSequence() {}

    /**
     * The joined data.
     *
     * @param data train and test sets, labels in the joined label space
     * @param partClasses classes contributed by each part, in order
     */
    public record Joined(Datasets.TrainTest data, List<Integer> partClasses) {}

    /**
     * Loads and joins the parts.
     *
     * @param cfg a data config with a sequence
     * @param source loads one dataset (called once per part, with that part's dataset and dir)
     * @return the joined data
     */
    public static Joined load(DataConfig cfg, Experiment.DataSource source) {
        List<DataConfig.Part> parts = cfg.sequence();
        List<ImageDataset> trains = new ArrayList<>();
        List<ImageDataset> tests = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            DataConfig.Part p = parts.get(i);
            String where = "data.sequence[" + i + "]";
            Datasets.TrainTest tt = source.load(new DataConfig(p.dataset(), p.dir(), cfg.imageSize(), false));
            int n = tt.train().numClasses();
            if (tt.test().numClasses() != n) {
                throw new CilException(where + " (" + p.dataset() + "): the train split has " + n
                        + " classes but the test split " + tt.test().numClasses());
            }
            int[] classes = p.classes().isEmpty()
                    ? java.util.stream.IntStream.range(0, n).toArray()
                    : p.classes().stream().mapToInt(Integer::intValue).toArray();
            for (int c : classes) {
                if (c >= n) {
                    throw new CilException(where + ".classes: label " + c + " is out of range: " + p.dataset() + " has "
                            + n + " classes (labels 0-" + (n - 1) + ")");
                }
            }
            trains.add(select(tt.train(), classes, p.dataset()));
            tests.add(select(tt.test(), classes, p.dataset()));
            counts.add(classes.length);
        }
        boolean rgb = cfg.rgb()
                || trains.stream().mapToInt(ImageDataset::channels).distinct().count() > 1;
        int size = cfg.imageSize();
        if (size == 0) {
            for (ImageDataset d : trains) {
                ImageDataset f = trains.get(0);
                if (d.height() != f.height() || d.width() != f.width()) {
                    throw new CilException("data.sequence: the parts' images differ in size (" + f.name() + " "
                            + f.height() + "x" + f.width() + ", " + d.name() + " " + d.height() + "x" + d.width()
                            + "); set data.imageSize to resize them all to one size");
                }
            }
        }
        return new Joined(
                new Datasets.TrainTest(
                        join("sequence/train", trains, rgb, size), join("sequence/test", tests, rgb, size)),
                List.copyOf(counts));
    }

    /**
     * The scenario of a sequence: the given one, with one phase per part and the identity order
     * where it lists no phases or order.
     *
     * @param sc the config's scenario
     * @param partClasses classes of each part
     * @return the scenario to resolve against the joined data
     */
    public static ScenarioConfig scenario(ScenarioConfig sc, List<Integer> partClasses) {
        if (sc.classes() != 0 && sc.phases().isEmpty()) {
            throw new CilException("scenario.classes is set for a data.sequence, whose tasks are its parts ("
                    + partClasses + " classes); list scenario.phases too, or choose the classes in the parts");
        }
        int total = partClasses.stream().mapToInt(Integer::intValue).sum();
        List<Integer> order = sc.order();
        if (order.isEmpty()) {
            order = java.util.stream.IntStream.range(0, total).boxed().toList();
        }
        return new ScenarioConfig(
                sc.setting(),
                sc.classes(),
                sc.base(),
                sc.increment(),
                sc.phases().isEmpty() ? partClasses : sc.phases(),
                order,
                sc.orderSeed(),
                sc.trainPerClass(),
                sc.testPerClass());
    }

    /** The images of the given classes, relabelled 0..k-1 in that order, names prefixed. */
    static ImageDataset select(ImageDataset d, int[] classes, String prefix) {
        int[] map = new int[d.numClasses()];
        java.util.Arrays.fill(map, -1);
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes.length; k++) {
            map[classes[k]] = k;
            names.add(prefix + "/" + d.classNames().get(classes[k]));
        }
        int[] labels = d.labels();
        int count = 0;
        for (int l : labels) {
            if (map[l] >= 0) {
                count++;
            }
        }
        int[] idx = new int[count];
        int[] lb = new int[count];
        int j = 0;
        for (int i = 0; i < labels.length; i++) {
            if (map[labels[i]] >= 0) {
                idx[j] = i;
                lb[j++] = map[labels[i]];
            }
        }
        ImageDataset sub = idx.length == labels.length ? d : d.subset(idx);
        return new ImageDataset(d.name(), sub.pixels(), lb, d.channels(), d.height(), d.width(), names);
    }

    private static ImageDataset join(String name, List<ImageDataset> parts, boolean rgb, int size) {
        List<ImageDataset> shaped = new ArrayList<>();
        for (ImageDataset d : parts) {
            ImageDataset r = rgb ? d.toRgb() : d;
            shaped.add(size > 0 ? r.resize(size, size) : r);
        }
        return ImageDataset.concat(name, shaped);
    }
}
