package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.cil4j.CilException;
import org.cil4j.data.Datasets;

/**
 * Where the images come from and how they are shaped for the network.
 *
 * <p>Either one {@code dataset}, or a {@code sequence} of parts, each a dataset (or some of its
 * classes); the parts are joined one after the other, each with its own classes, so that a
 * task sequence can go from one dataset to another (tiny-imagenet-100 classes 0-49, then
 * Fashion-MNIST, ...). See {@link DataSequence}.
 *
 * @param dataset a name known to {@code Datasets} (fashion-mnist, mnist, cifar10, cifar100,
 *     imagefolder, tiny-imagenet-100); null when {@code sequence} is given
 * @param dir data folder, or null to look in the usual places
 * @param imageSize side the images are resized to (0: keep the dataset's size)
 * @param rgb convert grayscale images to three channels
 * @param sequence parts joined in order (empty: use {@code dataset})
 */
@RecordBuilder
public record DataConfig(
        String dataset,
        String dir,
        int imageSize,
        boolean rgb,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Part> sequence)
        implements DataConfigBuilder.With {

    /**
     * One dataset of a sequence, or some of its classes.
     *
     * @param dataset a name known to {@code Datasets}
     * @param dir its data folder, or null to look in the usual places
     * @param classes the dataset labels used, in this order (empty: all); in a config, either a
     *     list of labels or a count N meaning labels 0..N-1
     */
    public record Part(
            String dataset,
            @JsonInclude(JsonInclude.Include.NON_NULL) String dir,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> classes) {
        /** Checks the values. */
        public Part {
            classes = List.copyOf(classes);
        }

        /** @return the dataset name with the classes used, such as "tiny-imagenet-100[0-49]" */
        public String describe() {
            return classes.isEmpty() ? dataset : dataset + "[" + ranges(classes) + "]";
        }
    }

    /** Reads the record with defaults. */
    @JsonCreator
    public static DataConfig of(
            @JsonProperty("dataset") String dataset,
            @JsonProperty("dir") String dir,
            @JsonProperty("imageSize") Integer imageSize,
            @JsonProperty("rgb") Boolean rgb,
            @JsonProperty("sequence") JsonNode sequence) {
        return new DataConfig(dataset, dir, imageSize == null ? 0 : imageSize, rgb != null && rgb, parts(sequence));
    }

    /** A single dataset, as before sequences. */
    public DataConfig(String dataset, String dir, int imageSize, boolean rgb) {
        this(dataset, dir, imageSize, rgb, List.of());
    }

    /** Checks the values. */
    public DataConfig {
        sequence = sequence == null ? List.of() : List.copyOf(sequence);
        if (sequence.isEmpty() && (dataset == null || dataset.isBlank())) {
            throw new CilException("data.dataset (or data.sequence) is required (see 'cil datasets')");
        }
        if (!sequence.isEmpty() && dataset != null) {
            throw new CilException("data.dataset and data.sequence exclude each other: name the datasets in the"
                    + " sequence's parts");
        }
        if (!sequence.isEmpty() && dir != null) {
            throw new CilException("data.dir does not apply to a data.sequence: give each part its own dir");
        }
        if (imageSize < 0 || imageSize > 1024) {
            throw new CilException("data.imageSize must be in [0, 1024], got " + imageSize);
        }
    }

    /** @return true when the data is a sequence of parts */
    public boolean hasSequence() {
        return !sequence.isEmpty();
    }

    /** @return the dataset's name, or the parts' joined with " + " */
    public String describe() {
        return sequence.isEmpty()
                ? dataset
                : sequence.stream().map(Part::describe).collect(Collectors.joining(" + "));
    }

    private static final Set<String> PART_KEYS = Set.of("dataset", "dir", "classes");

    private static List<Part> parts(JsonNode seq) {
        if (seq == null || seq.isNull()) {
            return List.of();
        }
        if (!seq.isArray() || seq.isEmpty()) {
            throw new CilException("data.sequence must be a non-empty list of parts {dataset, dir, classes}");
        }
        List<Part> out = new ArrayList<>();
        for (int i = 0; i < seq.size(); i++) {
            out.add(part(seq.get(i), "data.sequence[" + i + "]"));
        }
        return out;
    }

    private static Part part(JsonNode n, String where) {
        if (!n.isObject()) {
            throw new CilException(where + " must be an object {dataset, dir, classes}, got " + n);
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!PART_KEYS.contains(k)) {
                throw new CilException(where + ": unknown key '" + k + "'; known keys here: [dataset, dir, classes]");
            }
        }
        JsonNode ds = n.get("dataset");
        if (ds == null || !ds.isTextual() || ds.asText().isBlank()) {
            throw new CilException(where + ".dataset is required (see 'cil datasets')");
        }
        String name = ds.asText().strip();
        if (!Datasets.names().containsKey(name.toLowerCase(Locale.ROOT))) {
            throw new CilException(where + ".dataset: unknown dataset '" + name + "'; known datasets are "
                    + String.join(", ", Datasets.names().keySet()));
        }
        JsonNode d = n.get("dir");
        if (d != null && !d.isNull() && !d.isTextual()) {
            throw new CilException(where + ".dir must be a folder name, got " + d);
        }
        return new Part(
                name, d == null || d.isNull() ? null : d.asText(), classes(n.get("classes"), where + ".classes"));
    }

    private static List<Integer> classes(JsonNode c, String where) {
        List<Integer> out = new ArrayList<>();
        if (c == null || c.isNull()) {
            return out;
        }
        if (c.isIntegralNumber()) {
            int count = c.asInt();
            if (count < 1 || !c.canConvertToInt()) {
                throw new CilException(where + ": a count must be at least 1, got " + c);
            }
            for (int k = 0; k < count; k++) {
                out.add(k);
            }
            return out;
        }
        if (!c.isArray() || c.isEmpty()) {
            throw new CilException(where + " must be a count or a non-empty list of dataset labels, got " + c);
        }
        Set<Integer> seen = new HashSet<>();
        for (JsonNode e : c) {
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0) {
                throw new CilException(where + ": labels must be integers >= 0, got " + e);
            }
            if (!seen.add(e.asInt())) {
                throw new CilException(where + ": label " + e.asInt() + " is listed twice");
            }
            out.add(e.asInt());
        }
        return out;
    }

    /** "0-49" for 0..49, "3,1,7-9" otherwise. */
    static String ranges(List<Integer> v) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < v.size()) {
            int j = i;
            while (j + 1 < v.size() && v.get(j + 1) == v.get(j) + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(v.get(i));
            if (j > i) {
                sb.append('-').append(v.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
