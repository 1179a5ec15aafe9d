package newsworker.analysis;

import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenizerFactory;
import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.IntSetting;

/** Elasticsearch's tokenizer types that analysis-common defines and the node lacks. */
public final class Tokenizers {

    private Tokenizers() {}

    /**
     * {@code uax_url_email}: the standard tokenizer's word breaks, but an email address or a URL
     * is one token (type {@code <EMAIL>} / {@code <URL>}); {@code max_token_length} (default
     * 255, as there) splits longer tokens. The {@code .security} index's {@code email} analyzer
     * uses it.
     */
    @NamedComponent("uax_url_email")
    public static final class UaxUrlEmail implements TokenizerFactory {

        @AnalysisSettings
        public interface Settings {
            @IntSetting(path = "max_token_length", defaultValue = StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH)
            int maxTokenLength();
        }

        private final int maxTokenLength;

        @Inject
        public UaxUrlEmail(Settings settings) {
            maxTokenLength = settings.maxTokenLength();
            create(); // a bad max_token_length fails when the index is created, not at first use
        }

        @Override
        public Tokenizer create() {
            UAX29URLEmailTokenizer tokenizer = new UAX29URLEmailTokenizer();
            tokenizer.setMaxTokenLength(maxTokenLength);
            return tokenizer;
        }
    }
}
