"""The baseline: the SITHS order form written by hand in WTForms, with the same fields, rules
and HTML attributes the schema gives, and a hand-written template of the same markup."""
from wtforms import Form, fields, validators
from wtforms.fields.choices import SelectChoice

from casetypes.formats import normalize_email, normalize_personnummer

OFFICES = [("uppsala", "Uppsala"), ("stockholm", "Stockholm"), ("goteborg", "Göteborg"), ("malmo", "Malmö"),
           ("orebro", "Örebro"), ("vasteras", "Västerås"), ("linkoping", "Linköping"), ("umea", "Umeå")]


def valid_personnummer(form, field):
    if not normalize_personnummer(field.data or ""):
        raise validators.ValidationError("Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX.")


def valid_email(form, field):
    if not normalize_email(field.data or ""):
        raise validators.ValidationError("Ange en giltig e-postadress, till exempel namn@exempel.se.")


# The same HTML attributes the schema gives each input, written by hand.
class PersonRow(Form):
    namn = fields.StringField("För- och efternamn", [validators.Length(max=200)],
                              render_kw={"maxlength": 200, "autocomplete": "off"})
    personnummer = fields.StringField("Personnummer (ÅÅÅÅMMDDXXXX)", [validators.InputRequired(), valid_personnummer],
                                      render_kw={"required": True, "maxlength": 13, "inputmode": "numeric",
                                                 "spellcheck": "false"})
    epost = fields.EmailField("E-postadress", [validators.InputRequired(), validators.Length(max=254), valid_email],
                              render_kw={"required": True, "maxlength": 254, "autocomplete": "off",
                                         "spellcheck": "false"})
    ovrig_information = fields.StringField("Övrig information", [validators.Length(max=500)],
                                           render_kw={"maxlength": 500})
    kortutlamningskontor = fields.SelectField(
        "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?",
        choices=[SelectChoice("", "Välj ett alternativ")] + [SelectChoice(v, t) for v, t in OFFICES],
        validate_choice=True)
    eget_kortkontor = fields.BooleanField("Eget kortkontor")

    def validate_kortutlamningskontor(self, field):
        if self.eget_kortkontor.data and field.data:
            raise validators.ValidationError("Välj inget kortutlämningskontor när ni har eget kortkontor.")
        if not self.eget_kortkontor.data and not field.data:
            raise validators.ValidationError("Välj ett kortutlämningskontor, eller kryssa i Eget kortkontor.")


class SithsOrder(Form):
    personer = fields.FieldList(fields.FormField(PersonRow), min_entries=1, max_entries=200)


TEMPLATE = """
<form method="post" novalidate>
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<fieldset><legend>Personer som ska få SITHS-kort *</legend>
<table class="rows"><thead><tr>
{% for f in form.personer.entries[0].form %}<th scope="col">{{ f.label.text }}</th>{% endfor %}<th>Åtgärd</th>
</tr></thead><tbody>
{% for entry in form.personer.entries %}<tr class="row" data-row>
  {% for f in entry.form %}<td data-label="{{ f.label.text }}"><div class="field{% if f.errors %} field--error{% endif %}">
    <label for="{{ f.id }}" class="cell-label">{{ f.label.text }}</label>
    {% if f.errors %}<p class="error-message" id="{{ f.id }}-error">{{ f.errors | join(" ") }}</p>{% endif %}
    {{ f(**({"aria-invalid": "true", "aria-describedby": f.id ~ "-error"} if f.errors else {})) }}
  </div></td>{% endfor %}
  <td><input type="hidden" name="{{ entry.name }}-_row" value="">
  <button type="submit" name="action" value="remove:{{ entry.name }}" formnovalidate>Ta bort</button></td>
</tr>{% endfor %}
</tbody></table>
<button type="submit" name="action" value="add:personer" formnovalidate>Lägg till ny rad</button>
</fieldset>
<button type="submit">Skicka</button>
</form>
"""
