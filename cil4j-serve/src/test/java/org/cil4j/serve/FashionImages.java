package org.cil4j.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;

/** Real Fashion-MNIST images as PNG files, as a client would upload them. */
final class FashionImages {
    private static Datasets.TrainTest data;

    private FashionImages() {}

    static synchronized Datasets.TrainTest data() {
        if (data == null) {
            data = Datasets.load("fashion-mnist", null);
        }
        return data;
    }

    /** The first {@code n} images of a class, from {@code skip} on, as PNG. */
    static List<byte[]> png(ImageDataset d, int label, int skip, int n) {
        List<byte[]> out = new ArrayList<>();
        int seen = 0;
        for (int i = 0; i < d.size() && out.size() < n; i++) {
            if (d.label(i) != label || seen++ < skip) {
                continue;
            }
            out.add(png(d, i));
        }
        return out;
    }

    static byte[] png(ImageDataset d, int i) {
        return org.cil4j.data.ImageBytes.png(d, i);
    }

    /** A PNG that declares {@code w x h} pixels but holds few bytes (a decompression bomb's header). */
    static byte[] bomb(int w, int h) {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] png = b.toByteArray();
        // IHDR's width and height are the 4-byte big-endian words at offsets 16 and 20
        for (int k = 0; k < 4; k++) {
            png[16 + k] = (byte) (w >>> (24 - 8 * k));
            png[20 + k] = (byte) (h >>> (24 - 8 * k));
        }
        return png;
    }
}
