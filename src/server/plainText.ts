/**
 * Text sent where &, < and > are markup: Grafana shows an annotation's text as sanitised HTML (it
 * keeps links and images), and Slack reads `<url|label>` and `<!channel>` in a webhook's `text`
 * (and asks for &amp; &lt; &gt; where they are not meant as markup). Label values, alert summaries
 * and silence comments are written by others, so they go out as the characters they are.
 */
export const asPlainText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
