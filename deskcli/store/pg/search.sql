-- The full-text tables of a PostgreSQL desk (faq_fts, ticket_fts, faq_learned_fts): what
-- SQLite's FTS5 gives a SQLite desk. Written by hand; run by the baseline migration after
-- schema.sql, which creates the tables with their SQLite columns.
--
-- Each column holds deskcli.search.tokens.index_text() of the original: tokens separated
-- by spaces, as FTS5 stores them. A row also gets
--   * terms: a tsvector of its distinct tokens, each at position N with weight A, B, C or D
--     for the Nth column (GIN-indexed: which rows have a token, in which columns);
--   * size: its number of tokens (FTS5's document length for bm25);
-- and fts_stats keeps each table's row and token counts (FTS5's averages record), so bm25
-- is computed in SQL exactly as FTS5 does (deskcli/store/pg/search.py).

-- The folding of SQLite's unicode61 tokenizer with remove_diacritics 2 (é -> e, Ä -> a):
-- every character below U+3000 that it folds to another one character (index_text has
-- already lower-cased the text; tests/test_search_pg.py checks the table against SQLite)
CREATE FUNCTION deskcli_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t ~ '[\u0080-\u2fff]' THEN translate(t,
        'µÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦĨĩĪīĬĭĮįİĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎŏŐőŒŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅǇǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǢǤǦǧǨǩǪǫǬǭǮǰǱǲǴǵǶǷǸǹǺǻǼǾȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈɊɌɎͰͲͶΆΈΉΊΌΎΏΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫςϏϐϑϕϖϘϚϜϞϠϢϤϦϨϪϬϮϰϱϴϵϷϹϺϽϾϿЀЁЂЃЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯѠѢѤѦѨѪѬѮѰѲѴѶѸѺѼѾҀҊҌҎҐҒҔҖҘҚҜҞҠҢҤҦҨҪҬҮҰҲҴҶҸҺҼҾӀӁӃӅӇӉӋӍӐӒӔӖӘӚӜӞӠӢӤӦӨӪӬӮӰӲӴӶӸӺӼӾԀԂԄԆԈԊԌԎԐԒԔԖԘԚԜԞԠԢԤԦԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊՋՌՍՎՏՐՑՒՓՔՕՖႠႡႢႣႤႥႦႧႨႩႪႫႬႭႮႯႰႱႲႳႴႵႶႷႸႹႺႻႼႽႾႿჀჁჂჃჄჅჇჍḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẞẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹỺỼỾἈἉἊἋἌἍἎἏἘἙἚἛἜἝἨἩἪἫἬἭἮἯἸἹἺἻἼἽἾἿὈὉὊὋὌὍὙὛὝὟὨὩὪὫὬὭὮὯᾈᾉᾊᾋᾌᾍᾎᾏᾘᾙᾚᾛᾜᾝᾞᾟᾨᾩᾪᾫᾬᾭᾮᾯᾸᾹᾺΆᾼιῈΈῊΉῌῘῙῚΊῨῩῪΎῬῸΌῺΏῼΩKÅℲⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅬⅭⅮⅯↃⰀⰁⰂⰃⰄⰅⰆⰇⰈⰉⰊⰋⰌⰍⰎⰏⰐⰑⰒⰓⰔⰕⰖⰗⰘⰙⰚⰛⰜⰝⰞⰟⰠⰡⰢⰣⰤⰥⰦⰧⰨⰩⰪⰫⰬⰭⰮⱠⱢⱣⱤⱧⱩⱫⱭⱮⱯⱰⱲⱵⱾⱿⲀⲂⲄⲆⲈⲊⲌⲎⲐⲒⲔⲖⲘⲚⲜⲞⲠⲢⲤⲦⲨⲪⲬⲮⲰⲲⲴⲶⲸⲺⲼⲾⳀⳂⳄⳆⳈⳊⳌⳎⳐⳒⳔⳖⳘⳚⳜⳞⳠⳢⳫⳭⳲ',
        'μaaaaaaæceeeeiiiiðnoooooøuuuuyþaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddđeeeeeeeeeegggggggghhħiiiiiiiiiĳjjkkllllllŀłnnnnnnŋooooooœrrrrrrssssssssttttŧuuuuuuuuuuuuwwyyyzzzzzzsɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆǉǉǌǌaaiioouuuuuuuuuuaaǡǣǥggkkooooǯjǳǳggƕƿnnaaǽǿaaaaeeeeiiiioooorrrruuuussttȝhhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉɋɍɏͱͳͷάέήίόύώαβγδεζηθικλμνξοπρστυφχψωϊϋσϗβθφπϙϛϝϟϡϣϥϧϩϫϭϯκρθεϸϲϻͻͼͽѐёђѓєѕіїјљњћќѝўџабвгдежзийклмнопрстуфхцчшщъыьэюяѡѣѥѧѩѫѭѯѱѳѵѷѹѻѽѿҁҋҍҏґғҕҗҙқҝҟҡңҥҧҩҫҭүұҳҵҷҹһҽҿӏӂӄӆӈӊӌӎӑӓӕӗәӛӝӟӡӣӥӧөӫӭӯӱӳӵӷӹӻӽӿԁԃԅԇԉԋԍԏԑԓԕԗԙԛԝԟԡԣԥԧաբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆⴀⴁⴂⴃⴄⴅⴆⴇⴈⴉⴊⴋⴌⴍⴎⴏⴐⴑⴒⴓⴔⴕⴖⴗⴘⴙⴚⴛⴜⴝⴞⴟⴠⴡⴢⴣⴤⴥⴧⴭaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwysßaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyỻỽỿἀἁἂἃἄἅἆἇἐἑἒἓἔἕἠἡἢἣἤἥἦἧἰἱἲἳἴἵἶἷὀὁὂὃὄὅὑὓὕὗὠὡὢὣὤὥὦὧᾀᾁᾂᾃᾄᾅᾆᾇᾐᾑᾒᾓᾔᾕᾖᾗᾠᾡᾢᾣᾤᾥᾦᾧᾰᾱὰάᾳιὲέὴήῃῐῑὶίῠῡὺύῥὸόὼώῳωkaⅎⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻⅼⅽⅾⅿↄⰰⰱⰲⰳⰴⰵⰶⰷⰸⰹⰺⰻⰼⰽⰾⰿⱀⱁⱂⱃⱄⱅⱆⱇⱈⱉⱊⱋⱌⱍⱎⱏⱐⱑⱒⱓⱔⱕⱖⱗⱘⱙⱚⱛⱜⱝⱞⱡɫᵽɽⱨⱪⱬɑɱɐɒⱳⱶȿɀⲁⲃⲅⲇⲉⲋⲍⲏⲑⲓⲕⲗⲙⲛⲝⲟⲡⲣⲥⲧⲩⲫⲭⲯⲱⲳⲵⲷⲹⲻⲽⲿⳁⳃⳅⳇⳉⳋⳍⳏⳑⳓⳕⳗⳙⳛⳝⳟⳡⳣⳬⳮⳳ')
    ELSE t END $$;

-- The tokens of a column, as FTS5's tokenizer reads them
CREATE FUNCTION deskcli_tokens(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_remove(string_to_array(deskcli_fold(coalesce(t, '')), ' '), '') $$;

-- The distinct tokens of a row's columns: 'token':N with weight A for column 1, B for 2 ...
-- (a lexeme longer than PostgreSQL's 2,047 bytes is left out)
CREATE FUNCTION deskcli_terms(cols text[]) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(format('''%s'':%s%s', replace(replace(tok, '\', '\\'), '''', ''''''),
                                      n, chr(64 + n::int)), ' '), '')::tsvector
    FROM (SELECT DISTINCT c.n, tok FROM unnest(cols) WITH ORDINALITY AS c(col, n),
                 unnest(deskcli_tokens(c.col)) AS tok
          WHERE octet_length(tok) < 2048) x $$;

-- terms and size of a row; the trigger's arguments name the table's columns in order
CREATE FUNCTION deskcli_fts_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cols text[];
BEGIN
    SELECT array_agg(to_jsonb(NEW) ->> a.name ORDER BY a.n) INTO cols
    FROM unnest(TG_ARGV) WITH ORDINALITY AS a(name, n);
    NEW.terms := deskcli_terms(cols);
    NEW.size := (SELECT coalesce(sum(cardinality(deskcli_tokens(c))), 0) FROM unnest(cols) c);
    RETURN NEW;
END $$;

CREATE TABLE fts_stats (
    name TEXT COLLATE "C" PRIMARY KEY,
    rows BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0
);

-- fts_stats follows every statement that changes a full-text table
CREATE FUNCTION deskcli_fts_stats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    t bigint := 0;
    gone_n bigint;
    gone_t bigint;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT count(*), coalesce(sum(size), 0) INTO n, t FROM new_rows;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT count(*), coalesce(sum(size), 0) INTO gone_n, gone_t FROM old_rows;
        n := n - gone_n;
        t := t - gone_t;
    END IF;
    INSERT INTO fts_stats (name, rows, tokens) VALUES (TG_TABLE_NAME, n, t)
    ON CONFLICT (name) DO UPDATE SET rows = fts_stats.rows + EXCLUDED.rows,
                                     tokens = fts_stats.tokens + EXCLUDED.tokens;
    RETURN NULL;
END $$;

ALTER TABLE ticket_fts ADD COLUMN terms tsvector NOT NULL DEFAULT '', ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ticket_fts_terms ON ticket_fts USING gin (terms);
CREATE TRIGGER ticket_fts_row BEFORE INSERT OR UPDATE ON ticket_fts FOR EACH ROW
    EXECUTE FUNCTION deskcli_fts_row('title', 'body');
CREATE TRIGGER ticket_fts_stats_insert AFTER INSERT ON ticket_fts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER ticket_fts_stats_update AFTER UPDATE ON ticket_fts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER ticket_fts_stats_delete AFTER DELETE ON ticket_fts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
INSERT INTO fts_stats (name) VALUES ('ticket_fts');

ALTER TABLE faq_fts ADD COLUMN terms tsvector NOT NULL DEFAULT '', ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
CREATE INDEX faq_fts_terms ON faq_fts USING gin (terms);
CREATE TRIGGER faq_fts_row BEFORE INSERT OR UPDATE ON faq_fts FOR EACH ROW
    EXECUTE FUNCTION deskcli_fts_row('question', 'keywords', 'answer');
CREATE TRIGGER faq_fts_stats_insert AFTER INSERT ON faq_fts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER faq_fts_stats_update AFTER UPDATE ON faq_fts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER faq_fts_stats_delete AFTER DELETE ON faq_fts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
INSERT INTO fts_stats (name) VALUES ('faq_fts');

ALTER TABLE faq_learned_fts ADD COLUMN terms tsvector NOT NULL DEFAULT '', ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
CREATE INDEX faq_learned_fts_terms ON faq_learned_fts USING gin (terms);
CREATE TRIGGER faq_learned_fts_row BEFORE INSERT OR UPDATE ON faq_learned_fts FOR EACH ROW
    EXECUTE FUNCTION deskcli_fts_row('words');
CREATE TRIGGER faq_learned_fts_stats_insert AFTER INSERT ON faq_learned_fts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER faq_learned_fts_stats_update AFTER UPDATE ON faq_learned_fts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
CREATE TRIGGER faq_learned_fts_stats_delete AFTER DELETE ON faq_learned_fts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_fts_stats();
INSERT INTO fts_stats (name) VALUES ('faq_learned_fts');

-- the index_text version each table was built with, as the SQLite migrations record it
-- for a new desk (m001's ticket_fts, the FAQ's faq_fts)
INSERT INTO search_index (name, version) VALUES ('ticket_fts', 1), ('faq_fts', 1);
