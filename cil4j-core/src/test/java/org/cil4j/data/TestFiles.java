package org.cil4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writes small data files for the loader tests. */
final class TestFiles {
    private TestFiles() {}

    /** An IDX image file: n images of rows x cols, pixel (i, k) = (i * 7 + k) mod 256. */
    static byte[] idxImages(int n, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(IdxLoader.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < rows * cols; k++) {
                b.put((byte) (i * 7 + k));
            }
        }
        return b.array();
    }

    /** An IDX label file. */
    static byte[] idxLabels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxLoader.LABELS_MAGIC).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(data);
        }
        return bos.toByteArray();
    }

    /** Writes the four standard IDX files (3 train and 2 test images of 4x5) into a folder. */
    static void writeIdxSplit(Path dir, boolean gz) throws IOException {
        Files.createDirectories(dir);
        String ext = gz ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + ext), idxImages(3, 4, 5), gz);
        write(dir.resolve("train-labels-idx1-ubyte" + ext), idxLabels(0, 9, 3), gz);
        write(dir.resolve("t10k-images-idx3-ubyte" + ext), idxImages(2, 4, 5), gz);
        write(dir.resolve("t10k-labels-idx1-ubyte" + ext), idxLabels(1, 2), gz);
    }

    static void write(Path file, byte[] data, boolean gz) throws IOException {
        Files.write(file, gz ? gzip(data) : data);
    }

    /** A CIFAR record file; record r has label bytes {@code labels[r]} and pixels (r + k) mod 256. */
    static byte[] cifarRecords(int[][] labels) {
        int rec = labels[0].length + 3072;
        byte[] out = new byte[labels.length * rec];
        for (int r = 0; r < labels.length; r++) {
            for (int j = 0; j < labels[r].length; j++) {
                out[r * rec + j] = (byte) labels[r][j];
            }
            for (int k = 0; k < 3072; k++) {
                out[r * rec + labels[r].length + k] = (byte) (r + k);
            }
        }
        return out;
    }

    /** A solid-color RGB image. */
    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    static void png(Path file, BufferedImage img) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }
}
