package org.cil4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An in-memory set of labelled images, stored as unsigned bytes in channel-first order.
 *
 * <p>Image {@code i} occupies {@code pixels[i * imageSize() .. (i + 1) * imageSize())}, laid
 * out as {@code [channel][row][column]}. Labels are the dataset's own class indices in
 * {@code [0, classNames().size())}; the scenario maps them to incremental class order later.
 * Instances are immutable by convention: the arrays are never modified after construction.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    /**
     * Creates a dataset, checking that the arrays agree with the shape.
     *
     * @param name a short name used in messages and results (for example "fashion-mnist/train")
     * @param pixels the images, {@code labels.length * channels * height * width} bytes
     * @param labels one label per image, each in {@code [0, classNames.size())}
     * @param channels 1 (grayscale) or 3 (RGB)
     * @param height image height in pixels
     * @param width image width in pixels
     * @param classNames the name of each class, indexed by label
     */
    public ImageDataset(
            String name, byte[] pixels, int[] labels, int channels, int height, int width, List<String> classNames) {
        this.name = Objects.requireNonNull(name);
        this.pixels = Objects.requireNonNull(pixels);
        this.labels = Objects.requireNonNull(labels);
        this.classNames = List.copyOf(classNames);
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(name + ": channels must be 1 or 3, got " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": bad image size " + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException(name + ": " + pixels.length + " pixel bytes, expected " + expected);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= this.classNames.size()) {
                throw new IllegalArgumentException(name
                        + ": label "
                        + labels[i]
                        + " of sample "
                        + i
                        + " is out of range [0, "
                        + this.classNames.size()
                        + ")");
            }
        }
    }

    /** @return the dataset's name */
    public String name() {
        return name;
    }

    /** @return the number of images */
    public int size() {
        return labels.length;
    }

    /** @return channels per image (1 or 3) */
    public int channels() {
        return channels;
    }

    /** @return image height */
    public int height() {
        return height;
    }

    /** @return image width */
    public int width() {
        return width;
    }

    /** @return bytes per image, {@code channels * height * width} */
    public int imageSize() {
        return channels * height * width;
    }

    /** @return the number of classes */
    public int numClasses() {
        return classNames.size();
    }

    /** @return class names, indexed by label */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Returns the raw pixel array. Callers must not modify it.
     *
     * @return all pixels, image after image
     */
    public byte[] pixels() {
        return pixels;
    }

    /**
     * Returns the label array. Callers must not modify it.
     *
     * @return one label per image
     */
    public int[] labels() {
        return labels;
    }

    /**
     * @param i image index
     * @return the label of image {@code i}
     */
    public int label(int i) {
        return labels[i];
    }

    /**
     * Returns a new dataset holding the given images, in the given order.
     *
     * @param indices image indices into this dataset
     * @return the subset, sharing class names with this dataset
     */
    public ImageDataset subset(int[] indices) {
        int sz = imageSize();
        byte[] px = new byte[indices.length * sz];
        int[] lb = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            System.arraycopy(pixels, indices[k] * sz, px, k * sz, sz);
            lb[k] = labels[indices[k]];
        }
        return new ImageDataset(name, px, lb, channels, height, width, classNames);
    }

    /**
     * @param label a class label
     * @return the indices of all images with that label, ascending
     */
    public int[] indicesOf(int label) {
        return Arrays.stream(range()).filter(i -> labels[i] == label).toArray();
    }

    private int[] range() {
        int[] r = new int[labels.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = i;
        }
        return r;
    }

    /**
     * Counts images per class.
     *
     * @return an array of length {@link #numClasses()}
     */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /**
     * Returns this dataset with three channels, repeating the gray channel when needed.
     *
     * @return this dataset if it already has three channels, else an RGB copy
     */
    public ImageDataset toRgb() {
        if (channels == 3) {
            return this;
        }
        int plane = height * width;
        byte[] px = new byte[labels.length * 3 * plane];
        for (int i = 0; i < labels.length; i++) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(pixels, i * plane, px, (i * 3 + c) * plane, plane);
            }
        }
        return new ImageDataset(name, px, labels, 3, height, width, classNames);
    }

    /**
     * Returns this dataset resized to {@code h x w} (area averaging when shrinking, bilinear
     * interpolation when growing; the same rule as {@link ImageResize}).
     *
     * @param h target height
     * @param w target width
     * @return this dataset when the size already matches, else a resized copy
     */
    public ImageDataset resize(int h, int w) {
        if (h == height && w == width) {
            return this;
        }
        int inSz = imageSize();
        int outSz = channels * h * w;
        byte[] px = new byte[labels.length * outSz];
        for (int i = 0; i < labels.length; i++) {
            ImageResize.resizeChw(pixels, i * inSz, channels, height, width, px, i * outSz, h, w);
        }
        return new ImageDataset(name, px, labels, channels, h, w, classNames);
    }

    /**
     * Joins datasets of the same image shape; labels of each later dataset are shifted past the
     * classes of the earlier ones and the class names are concatenated.
     *
     * @param name name of the result
     * @param parts datasets to join, all with the same channels and size
     * @return the concatenation
     */
    public static ImageDataset concat(String name, List<ImageDataset> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        ImageDataset first = parts.get(0);
        int total = 0;
        List<String> names = new ArrayList<>();
        for (ImageDataset d : parts) {
            if (d.channels != first.channels || d.height != first.height || d.width != first.width) {
                throw new IllegalArgumentException(
                        "cannot join " + d.name + " with " + first.name + ": image shapes differ");
            }
            total += d.size();
        }
        byte[] px = new byte[total * first.imageSize()];
        int[] lb = new int[total];
        int pos = 0;
        int offset = 0;
        for (ImageDataset d : parts) {
            System.arraycopy(d.pixels, 0, px, pos * first.imageSize(), d.pixels.length);
            for (int i = 0; i < d.size(); i++) {
                lb[pos + i] = d.labels[i] + offset;
            }
            pos += d.size();
            offset += d.numClasses();
            names.addAll(d.classNames);
        }
        return new ImageDataset(name, px, lb, first.channels, first.height, first.width, names);
    }
}
