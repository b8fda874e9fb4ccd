package dev.belfry.host.internal.plugins;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.pf4j.ManifestPluginDescriptorFinder;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PropertiesPluginDescriptorFinder;

/**
 * Reads a plugin's descriptor (a jar's {@code META-INF/MANIFEST.MF} or {@code plugin.properties}, or the same files
 * of an exploded folder) with a size bound and a plain reason for every refusal. PF4J's own finders read a manifest
 * whole however far it inflates, let a repeated header silently win, drop a last line without a line break, and
 * report any failure as "No PluginDescriptorFinder" with the cause only in a separate stack trace.
 */
final class DescriptorFinder implements PluginDescriptorFinder {
    /** The most a manifest, {@code plugin.properties} or extension index may hold, inflated. */
    static final int MAX_METADATA_BYTES = 1 << 20;
    static final String MAX_METADATA_TEXT = "1 MiB";
    private static final String MANIFEST = "META-INF/MANIFEST.MF";
    private static final String PROPERTIES = "plugin.properties";
    /** java.util.jar.Manifest reads a line, its line break included, into a buffer of this size. */
    private static final int MAX_MANIFEST_LINE = 512;

    private final ManifestReader manifests = new ManifestReader();
    private final PropertiesReader properties = new PropertiesReader();

    @Override
    public boolean isApplicable(Path pluginPath) {
        return Files.exists(pluginPath);
    }

    /**
     * @throws DescriptorException naming what is wrong with the file
     */
    @Override
    public PluginDescriptor find(Path pluginPath) {
        return Files.isDirectory(pluginPath) ? findInFolder(pluginPath) : findInJar(pluginPath);
    }

    private PluginDescriptor findInFolder(Path dir) {
        Path props = dir.resolve(PROPERTIES);
        if (Files.exists(props)) {
            return fromProperties(readFile(props, PROPERTIES), PROPERTIES);
        }
        Path manifest = dir.resolve(MANIFEST);
        if (Files.exists(manifest)) {
            return fromManifest(readFile(manifest, MANIFEST));
        }
        throw new DescriptorException("the folder has neither " + PROPERTIES + " nor " + MANIFEST);
    }

    private PluginDescriptor findInJar(Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            // PF4J's order: a plugin.properties in the jar wins over the manifest.
            ZipEntry props = zip.getEntry(PROPERTIES);
            if (props != null) {
                return fromProperties(readEntry(zip, props, PROPERTIES), PROPERTIES);
            }
            ZipEntry manifest = manifestEntry(zip);
            if (manifest == null) {
                throw new DescriptorException("the jar has no " + MANIFEST
                        + " (a plugin jar needs one with Plugin-Id and Plugin-Version)");
            }
            return fromManifest(readEntry(zip, manifest, MANIFEST));
        } catch (ZipException e) {
            if (isEmpty(jar)) {
                throw new DescriptorException("not a jar: the file is empty");
            }
            if (looksLikeZip(jar)) {
                throw new DescriptorException("damaged or truncated jar: " + e.getMessage(), true);
            }
            throw new DescriptorException("not a jar: the file is not a zip archive");
        } catch (IOException e) {
            throw new DescriptorException("cannot read the jar: " + e);
        }
    }

    /** Like JarFile: the exact name first, then any case. */
    private static ZipEntry manifestEntry(ZipFile zip) {
        ZipEntry exact = zip.getEntry(MANIFEST);
        if (exact != null) {
            return exact;
        }
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            ZipEntry e = en.nextElement();
            if (e.getName().equalsIgnoreCase(MANIFEST)) {
                return e;
            }
        }
        return null;
    }

    private static boolean isEmpty(Path file) {
        try {
            return Files.size(file) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean looksLikeZip(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && head[0] == 'P' && head[1] == 'K';
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, String name) {
        try (InputStream in = zip.getInputStream(entry)) {
            return bounded(in, name);
        } catch (ZipException | java.io.EOFException e) {
            throw new DescriptorException("damaged jar: cannot read " + name + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (IOException e) {
            throw new DescriptorException("cannot read " + name + ": " + e);
        }
    }

    private static byte[] readFile(Path file, String name) {
        // A FIFO or device in the folder would block or never end.
        if (!Files.isRegularFile(file)) {
            throw new DescriptorException(name + " is not a regular file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return bounded(in, name);
        } catch (IOException e) {
            throw new DescriptorException("cannot read " + name + ": " + e);
        }
    }

    /**
     * Reads at most the bound and one byte more: a stream that inflates to gigabytes costs no more than the bound.
     *
     * @throws DescriptorException if there is more
     */
    static byte[] bounded(InputStream in, String name) throws IOException {
        byte[] bytes = in.readNBytes(MAX_METADATA_BYTES + 1);
        if (bytes.length > MAX_METADATA_BYTES) {
            throw new DescriptorException(name + " is larger than " + MAX_METADATA_TEXT);
        }
        return bytes;
    }

    private PluginDescriptor fromManifest(byte[] bytes) {
        checkManifestText(bytes);
        Manifest manifest;
        try {
            manifest = new Manifest(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new DescriptorException("unreadable " + MANIFEST + ": " + e.getMessage());
        }
        requireValue(manifest.getMainAttributes().getValue(ManifestPluginDescriptorFinder.PLUGIN_ID), MANIFEST,
                "Plugin-Id");
        requireValue(manifest.getMainAttributes().getValue(ManifestPluginDescriptorFinder.PLUGIN_VERSION), MANIFEST,
                "Plugin-Version");
        return manifests.describe(manifest);
    }

    /**
     * What java.util.jar.Manifest would mishandle or report without a line number: an overlong line, a last line
     * without a line break (silently ignored), and a Plugin-* header given twice in the main section (the last one
     * would win, so what an operator reads first is not what loads).
     */
    private static void checkManifestText(byte[] bytes) {
        Map<String, Integer> seen = new HashMap<>();
        boolean mainSection = true;
        int start = 0;
        int line = 1;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length) {
                if (new String(bytes, start, end - start, StandardCharsets.UTF_8).isBlank()) {
                    return;
                }
                throw new DescriptorException(MANIFEST + " does not end with a line break, so its last line (line "
                        + line + ") would be ignored");
            }
            if (end + 1 - start > MAX_MANIFEST_LINE) {
                throw new DescriptorException(MANIFEST + " line " + line + " is longer than " + (MAX_MANIFEST_LINE - 1)
                        + " bytes (continue a long value on the next line, starting it with a space)");
            }
            int contentEnd = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            String text = new String(bytes, start, contentEnd - start, StandardCharsets.UTF_8);
            if (mainSection) {
                if (text.isEmpty()) {
                    mainSection = false;
                } else if (!text.startsWith(" ") && text.indexOf(':') > 0) {
                    String header = text.substring(0, text.indexOf(':'));
                    if (header.toLowerCase(Locale.ROOT).startsWith("plugin-")) {
                        Integer first = seen.putIfAbsent(header.toLowerCase(Locale.ROOT), line);
                        if (first != null) {
                            throw new DescriptorException(header + " is given twice in " + MANIFEST + " (lines " + first
                                    + " and " + line + ")");
                        }
                    }
                }
            }
            start = end + 1;
            line++;
        }
    }

    private PluginDescriptor fromProperties(byte[] bytes, String name) {
        // As in a manifest, a plugin.* key given twice is refused rather than letting the last one win.
        Properties p = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Object put(Object key, Object value) {
                if (String.valueOf(key).startsWith("plugin.") && containsKey(key)) {
                    throw new DescriptorException(key + " is given twice in " + name);
                }
                return super.put(key, value);
            }
        };
        try {
            p.load(new ByteArrayInputStream(bytes));
        } catch (IOException | IllegalArgumentException e) {
            throw new DescriptorException("unreadable " + name + ": " + e.getMessage());
        }
        requireValue(p.getProperty("plugin.id"), name, "plugin.id");
        requireValue(p.getProperty("plugin.version"), name, "plugin.version");
        return properties.describe(p);
    }

    private static void requireValue(String value, String file, String key) {
        if (value == null) {
            throw new DescriptorException(file + " has no " + key);
        }
        // Only empty: a value of spaces goes on to the version or id check, which quotes it.
        if (value.isEmpty()) {
            throw new DescriptorException(file + " has an empty " + key);
        }
    }

    /** PF4J's mapping from manifest headers to a descriptor, without its reading. */
    private static final class ManifestReader extends ManifestPluginDescriptorFinder {
        PluginDescriptor describe(Manifest manifest) {
            return createPluginDescriptor(manifest);
        }
    }

    /** PF4J's mapping from plugin.properties to a descriptor, without its reading. */
    private static final class PropertiesReader extends PropertiesPluginDescriptorFinder {
        PluginDescriptor describe(Properties properties) {
            return createPluginDescriptor(properties);
        }
    }
}
