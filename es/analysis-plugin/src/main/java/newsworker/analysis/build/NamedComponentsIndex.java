package newsworker.analysis.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;
import org.elasticsearch.plugin.analysis.CharFilterFactory;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.elasticsearch.plugin.analysis.TokenizerFactory;

/**
 * Build step: writes named_components.json, the index of a stable plugin's components that
 * Elasticsearch reads from the plugin's folder ({extensible interface: {name: class}}), from the
 * {@code @NamedComponent} classes under a classes directory. Usage: CLASSES_DIR OUTPUT_FILE.
 */
public final class NamedComponentsIndex {

    private static final List<Class<?>> EXTENSIBLES =
        List.of(AnalyzerFactory.class, CharFilterFactory.class, TokenFilterFactory.class, TokenizerFactory.class);

    private NamedComponentsIndex() {}

    public static void main(String[] args) throws IOException, ClassNotFoundException {
        Path classes = Path.of(args[0]);
        Map<String, Map<String, String>> index = new TreeMap<>();
        for (String className : classNames(classes)) {
            Class<?> type = Class.forName(className, false, NamedComponentsIndex.class.getClassLoader());
            NamedComponent named = type.getAnnotation(NamedComponent.class);
            if (named == null) {
                continue;
            }
            Class<?> extensible = EXTENSIBLES.stream().filter(e -> e.isAssignableFrom(type)).findFirst()
                .orElseThrow(() -> new IllegalStateException(className + " implements no extensible interface"));
            String previous = index.computeIfAbsent(extensible.getName(), k -> new TreeMap<>()).put(named.value(), className);
            if (previous != null) {
                throw new IllegalStateException("two " + extensible.getSimpleName() + "s named [" + named.value() + "]");
            }
        }
        Files.writeString(Path.of(args[1]), toJson(index));
    }

    private static List<String> classNames(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.map(root::relativize).map(Path::toString).filter(p -> p.endsWith(".class"))
                .filter(p -> !p.endsWith("module-info.class"))
                .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
                .sorted().collect(Collectors.toList());
        }
    }

    /** Names are Java identifiers and component names: nothing here needs escaping. */
    private static String toJson(Map<String, Map<String, String>> index) {
        return index.entrySet().stream()
            .map(e -> "  \"" + e.getKey() + "\": {\n" + e.getValue().entrySet().stream()
                .map(c -> "    \"" + c.getKey() + "\": \"" + c.getValue() + "\"")
                .collect(Collectors.joining(",\n")) + "\n  }")
            .collect(Collectors.joining(",\n", "{\n", "\n}\n"));
    }
}
