package newsworker.analysis;

import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

/**
 * Passes each distinct term once: a token whose term already went by is dropped. With
 * {@code onlyOnSamePosition}, only a repeat stacked on the same position (increment 0) counts
 * as one, so the same word later in the text is kept. A dropped token's position increment is
 * not carried over to the next one, as Elasticsearch's {@code unique} filter does it.
 */
final class UniqueTokenFilter extends TokenFilter {

    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final PositionIncrementAttribute increment = addAttribute(PositionIncrementAttribute.class);
    private final boolean onlyOnSamePosition;
    /** The terms seen so far: in the whole stream, or at the current position. */
    private final CharArraySet seen = new CharArraySet(8, false);

    UniqueTokenFilter(TokenStream in, boolean onlyOnSamePosition) {
        super(in);
        this.onlyOnSamePosition = onlyOnSamePosition;
    }

    @Override
    public boolean incrementToken() throws IOException {
        while (input.incrementToken()) {
            if (onlyOnSamePosition && increment.getPositionIncrement() > 0) {
                seen.clear(); // a new position: nothing stacked on it yet
            }
            char[] buffer = term.buffer();
            int length = term.length();
            if (!seen.contains(buffer, 0, length)) {
                seen.add(Arrays.copyOf(buffer, length)); // the set keeps the array: not the reused buffer
                return true;
            }
        }
        return false;
    }

    @Override
    public void reset() throws IOException {
        super.reset();
        seen.clear();
    }
}
